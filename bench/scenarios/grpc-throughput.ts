import { withEnvironment } from "../harness/environment.js";
import { runFor } from "../harness/pool.js";
import {
  countError,
  type ErrorCounts,
  elapsedMs,
  type LatencySummary,
  summarize,
  totalErrors,
} from "../harness/stats.js";
import { errorLabel } from "../harness/workload.js";
import type { ScenarioRun } from "./scenario-run.js";

export interface GrpcThroughputOptions extends ScenarioRun {
  durationMs: number;
  concurrency: number;
}

const WARM_UP_MS = 1_000;

export interface RpcThroughput {
  rpc: string;
  calls: number;
  callsPerSecond: number;
  latency: LatencySummary;
  errors: ErrorCounts;
}

export interface GrpcThroughputResult {
  durationMs: number;
  concurrency: number;
  rpcs: RpcThroughput[];
}

async function hammer(
  rpc: string,
  call: () => Promise<unknown>,
  options: GrpcThroughputOptions,
): Promise<RpcThroughput> {
  // Untimed first: the first RPC kind measured would otherwise pay for JIT warm-up alone.
  await runFor(Math.min(WARM_UP_MS, options.durationMs / 5), options.concurrency, async () => {
    await call().catch(() => undefined);
  });
  const latencies: number[] = [];
  const errors: ErrorCounts = {};
  const started = process.hrtime.bigint();
  await runFor(options.durationMs, options.concurrency, async () => {
    const callStarted = process.hrtime.bigint();
    try {
      await call();
      latencies.push(elapsedMs(callStarted));
    } catch (error) {
      countError(errors, errorLabel(error));
    }
  });
  const seconds = elapsedMs(started) / 1000;
  const calls = latencies.length + totalErrors(errors);
  return {
    rpc,
    calls,
    callsPerSecond: Math.round(latencies.length / seconds),
    latency: summarize(latencies),
    errors,
  };
}

/**
 * Scenario 4: the cheapest RPCs the CO repeats (kubelet's NodeGetCapabilities, the sidecars'
 * liveness Probe) at a fixed concurrency over one connection: the driver's raw gRPC ceiling.
 */
export async function runGrpcThroughput(options: GrpcThroughputOptions): Promise<GrpcThroughputResult> {
  return withEnvironment(
    { ...options, remoteInstances: 1, maxAttachedPerInstance: 16, maxVolumes: 10 },
    "grpc-throughput",
    async (environment) => {
      const driver = await environment.startDriver("driver");
      const { node, identity } = driver.csi;
      const rpcs = [
        await hammer("NodeGetCapabilities", () => node.nodeGetCapabilities({}), options),
        await hammer("Probe", () => identity.probe({}), options),
      ];
      return { durationMs: options.durationMs, concurrency: options.concurrency, rpcs };
    },
  );
}
