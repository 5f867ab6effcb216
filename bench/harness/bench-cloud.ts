import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { InstanceConfig, ReferenceCloudConfig } from "../../src/cloud-sim/index.js";
import { Child } from "./child-process.js";

export const BENCH_ZONE = "ref-1a";

export interface BenchCloudOptions {
  /** Where the cloud keeps its state and sparse files; also where its log goes. */
  dir: string;
  repoRoot: string;
  latencyMs: number;
  /** API-only instances (no loop devices) to spread attachments over. */
  remoteInstances: number;
  maxAttachedPerInstance: number;
  /** Make loop devices for attachments to this machine (node path scenario; needs root). */
  localAttach: boolean;
  byIdDir: string;
  /** Room for every volume the scenario makes. */
  maxVolumes: number;
}

/** A reference cloud in its own process, with the admin calls benchmarks need. */
export interface BenchCloud {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  readonly localInstanceId: string;
  readonly remoteInstanceIds: readonly string[];
  /** `/v1` requests since the last reset, by operationId (every status counted). */
  requestCounts(): Promise<Record<string, number>>;
  resetRequestLog(): Promise<void>;
  stop(): Promise<void>;
}

function instanceId(): string {
  return `i-${randomBytes(8).toString("hex")}`;
}

export async function startBenchCloud(options: BenchCloudOptions): Promise<BenchCloud> {
  const local: InstanceConfig = {
    id: instanceId(),
    name: "bench-local",
    zone: BENCH_ZONE,
    maxAttachedVolumes: options.maxAttachedPerInstance,
    local: true,
  };
  const remotes: InstanceConfig[] = Array.from({ length: options.remoteInstances }, (_, index) => ({
    id: instanceId(),
    name: `bench-node-${index}`,
    zone: BENCH_ZONE,
    maxAttachedVolumes: options.maxAttachedPerInstance,
  }));
  const config: ReferenceCloudConfig = {
    host: "127.0.0.1",
    port: 0,
    dataDir: join(options.dir, "cloud"),
    byIdDir: options.byIdDir,
    instances: [local, ...remotes],
    operationLatencyMs: options.latencyMs,
    quotas: { maxVolumes: options.maxVolumes },
    localAttach: options.localAttach,
  };
  const child = new Child({
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      join(options.repoRoot, "bench/harness/cloud-process.ts"),
      JSON.stringify(config),
    ],
    cwd: options.repoRoot,
    logFile: join(options.dir, "cloud.log"),
    label: "reference cloud",
  });
  let ready: { url: string; token: string };
  try {
    ready = await child.waitForLine((line) => {
      if (!line.startsWith("{")) return undefined;
      const parsed = JSON.parse(line) as { url?: string; token?: string };
      return parsed.url !== undefined && parsed.token !== undefined
        ? { url: parsed.url, token: parsed.token }
        : undefined;
    }, 30_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  const admin = async (method: "GET" | "DELETE"): Promise<Response> => {
    const response = await fetch(`${ready.url}/admin/requests`, {
      method,
      headers: { authorization: `Bearer ${ready.token}` },
    });
    if (!response.ok) throw new Error(`${method} /admin/requests answered ${response.status}`);
    return response;
  };
  return {
    pid: child.pid,
    url: ready.url,
    token: ready.token,
    localInstanceId: local.id as string,
    remoteInstanceIds: remotes.map((remote) => remote.id as string),
    async requestCounts() {
      const log = (await (await admin("GET")).json()) as {
        counters: { operationId: string; count: number }[];
      };
      const counts: Record<string, number> = {};
      for (const counter of log.counters) {
        counts[counter.operationId] = (counts[counter.operationId] ?? 0) + counter.count;
      }
      return counts;
    },
    async resetRequestLog() {
      await admin("DELETE");
    },
    stop: () => child.stop(),
  };
}
