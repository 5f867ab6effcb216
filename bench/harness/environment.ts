import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type BenchCloud, startBenchCloud } from "./bench-cloud.js";
import { type BenchDriver, startBenchDriver } from "./bench-driver.js";
import type { BenchFace } from "./faces.js";

export interface EnvironmentOptions {
  workDir: string;
  repoRoot: string;
  /** The built checkout whose `bin/ballast` the drivers run; `repoRoot` unless set. */
  driverRoot?: string | undefined;
  latencyMs: number;
  qps: number;
  burst: number;
  remoteInstances: number;
  maxAttachedPerInstance: number;
  maxVolumes: number;
  /** Loop devices for attachments to this machine (root only). */
  localAttach?: boolean;
  /** The driver's --log-level; info (the production default) unless set. */
  driverLogLevel?: string;
  /** Where each driver writes a V8 CPU profile; none unless set. */
  driverCpuProfileDir?: string | undefined;
  /** The API the cloud serves and the driver drives; ballast's unless set. */
  face?: BenchFace;
}

export interface Environment {
  readonly dir: string;
  readonly byIdDir: string;
  readonly cloud: BenchCloud;
  /** Starts a driver against `cloudUrl` (default: the cloud's API); stopped with the environment. */
  startDriver(name: string, cloudUrl?: string): Promise<BenchDriver>;
}

/**
 * Runs `work` with a fresh reference cloud in `<workDir>/<name>`, and stops every process it
 * started (drivers first, then the cloud) whether `work` succeeded or not.
 */
export async function withEnvironment<T>(
  options: EnvironmentOptions,
  name: string,
  work: (environment: Environment) => Promise<T>,
): Promise<T> {
  const dir = join(options.workDir, name);
  const byIdDir = join(dir, "by-id");
  await mkdir(byIdDir, { recursive: true });
  const cloud = await startBenchCloud({
    dir,
    repoRoot: options.repoRoot,
    latencyMs: options.latencyMs,
    remoteInstances: options.remoteInstances,
    maxAttachedPerInstance: options.maxAttachedPerInstance,
    localAttach: options.localAttach ?? false,
    byIdDir,
    maxVolumes: options.maxVolumes,
    ...(options.face === undefined ? {} : { face: options.face }),
  });
  const drivers: BenchDriver[] = [];
  try {
    return await work({
      dir,
      byIdDir,
      cloud,
      async startDriver(driverName, cloudUrl) {
        const driverDir = join(dir, driverName);
        await mkdir(driverDir, { recursive: true });
        const driver = await startBenchDriver({
          dir: driverDir,
          repoRoot: options.repoRoot,
          driverRoot: options.driverRoot ?? options.repoRoot,
          cloudUrl: cloudUrl ?? cloud.apiUrl,
          token: cloud.token,
          ...(options.face === undefined ? {} : { provider: options.face.provider, zone: options.face.zone }),
          qps: options.qps,
          burst: options.burst,
          nodeId: cloud.localInstanceId,
          byIdDir,
          maxVolumesPerNode: options.maxAttachedPerInstance,
          ...(options.driverLogLevel === undefined ? {} : { logLevel: options.driverLogLevel }),
          ...(options.driverCpuProfileDir === undefined
            ? {}
            : { cpuProfileDir: options.driverCpuProfileDir }),
        });
        drivers.push(driver);
        return driver;
      },
    });
  } finally {
    for (const driver of drivers.reverse()) await driver.stop();
    await cloud.stop();
  }
}
