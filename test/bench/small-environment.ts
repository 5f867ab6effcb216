import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { EnvironmentOptions } from "../../bench/harness/environment.js";

const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** A reference cloud with one API-only instance and room for a few volumes, for bench harness tests. */
export function smallEnvironment(workDir: string): EnvironmentOptions {
  return {
    workDir,
    repoRoot,
    latencyMs: 1,
    qps: 100,
    burst: 100,
    remoteInstances: 1,
    maxAttachedPerInstance: 4,
    maxVolumes: 4,
  };
}
