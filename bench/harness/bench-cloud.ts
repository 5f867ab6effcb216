import { join } from "node:path";
import type { InstanceConfig, ReferenceCloudOptions } from "../../src/cloud-sim/index.js";
import type { components } from "../../src/generated/block-storage.v1.js";
import { Child } from "./child-process.js";
import { BENCH_FACES, type BenchFace } from "./faces.js";

/** The zone of the ballast API's runs. */
export const BENCH_ZONE = BENCH_FACES.ballast.zone;

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
  /** The API the cloud serves; ballast's unless set. */
  face?: BenchFace;
}

export type StateWrites = components["schemas"]["StateWrites"];

/** A reference cloud in its own process, with the admin calls benchmarks need. */
export interface BenchCloud {
  readonly pid: number;
  /** The server's root, where `/admin/*` is on every face. */
  readonly url: string;
  /** Where a client of the face's API points (the root, or `/v1` under it for Hetzner's). */
  readonly apiUrl: string;
  readonly token: string;
  readonly localInstanceId: string;
  readonly remoteInstanceIds: readonly string[];
  /**
   * Since the last reset: `/v1` requests by operationId (every status counted), and the cloud's
   * durable state writes (a mutation is answered after one).
   */
  requestLog(): Promise<{ calls: Record<string, number>; stateWrites: StateWrites }>;
  resetRequestLog(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchCloud(options: BenchCloudOptions): Promise<BenchCloud> {
  const face = options.face ?? BENCH_FACES.ballast;
  const local: InstanceConfig = {
    id: face.instanceId(0),
    name: "bench-local",
    zone: face.zone,
    maxAttachedVolumes: options.maxAttachedPerInstance,
    local: true,
  };
  // Another face's API fixes the per-instance limit itself, whatever this says.
  const remotes: InstanceConfig[] = Array.from({ length: options.remoteInstances }, (_, index) => ({
    id: face.instanceId(index + 1),
    name: `bench-node-${index}`,
    zone: face.zone,
    maxAttachedVolumes: options.maxAttachedPerInstance,
  }));
  const config: ReferenceCloudOptions = {
    api: face.provider,
    // The clients' --qps is the limit, as on the ballast API, which has no budget of its own: the
    // providers' account limits would make the run a wait (DigitalOcean: 250 requests a minute).
    ...(face.provider === "ballast" ? {} : { apiRateLimit: false }),
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
  let ready: { url: string; apiUrl: string; token: string };
  try {
    ready = await child.waitForLine((line) => {
      if (!line.startsWith("{")) return undefined;
      const parsed = JSON.parse(line) as { url?: string; apiUrl?: string; token?: string };
      return parsed.url !== undefined && parsed.apiUrl !== undefined && parsed.token !== undefined
        ? { url: parsed.url, apiUrl: parsed.apiUrl, token: parsed.token }
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
    apiUrl: ready.apiUrl,
    token: ready.token,
    localInstanceId: local.id as string,
    remoteInstanceIds: remotes.map((remote) => remote.id as string),
    async requestLog() {
      const log = (await (await admin("GET")).json()) as {
        counters: { operationId: string; count: number }[];
        stateWrites: StateWrites;
      };
      const calls: Record<string, number> = {};
      for (const counter of log.counters) {
        calls[counter.operationId] = (calls[counter.operationId] ?? 0) + counter.count;
      }
      return { calls, stateWrites: log.stateWrites };
    },
    async resetRequestLog() {
      await admin("DELETE");
    },
    stop: () => child.stop(),
  };
}
