import { join } from "node:path";
import type { BlockStorageClient } from "../../src/cloud/index.js";
import type { BenchDriver } from "../harness/bench-driver.js";
import { createDirectClient } from "../harness/direct-client.js";
import { withEnvironment } from "../harness/environment.js";
import { type FloorServer, startBareServer } from "../harness/floor-servers.js";
import { imageNodeFlags } from "../harness/image-flags.js";
import { elapsedMs, type LatencySummary, quantiles, summarize } from "../harness/stats.js";
import { CALL_TIMEOUT_MS, directCreateRequest, GiB, MOUNT_EXT4 } from "../harness/workload.js";
import type { ScenarioRun } from "./scenario-run.js";

export interface AddedLatencyOptions extends ScenarioRun {
  samples: number;
}

/** One RPC measured both ways, in pairs taken back to back. */
export interface PairedLatency {
  rpc: string;
  directCall: string;
  driver: LatencySummary;
  direct: LatencySummary;
  /** Per pair: driver minus direct. */
  added: LatencySummary;
  /**
   * The floor of "added": a bare grpc-js server's NodeGetCapabilities (the image's node flags,
   * the same client), timed in place of the driver call in pairs of its own with the same direct
   * call. Its server sits idle between calls as long as the driver does, so this is what the gRPC
   * hop alone costs in this rhythm on this machine.
   */
  floor: LatencySummary;
  /**
   * Per pair: the direct call minus the same direct call made again back to back (order
   * alternating as in the driver's pairs). No driver is in it, so its spread is what the cloud's
   * own variation (a synced state write, a poll that lands before the operation ends) alone gives
   * a per-pair difference: "added" cannot be read finer than this.
   */
  control: LatencySummary;
  /** The driver's p99 minus the direct call's p99: what the driver adds to the tail of the distribution. */
  p99GapMs: number;
  /** Latency in ms at each of QUANTILES (harness/stats.ts), for the charts. */
  quantilesMs: { driver: number[]; direct: number[] };
}

export interface AddedLatencyResult {
  samples: number;
  rpcs: PairedLatency[];
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return elapsedMs(started);
}

/**
 * Runs `samples` pairs sequentially, alternating which side goes first so neither always meets a
 * warm or a cold cloud.
 */
async function pairs(
  samples: number,
  driverCall: (index: number) => Promise<unknown>,
  directCall: (index: number) => Promise<unknown>,
): Promise<{ driver: number[]; direct: number[]; added: number[] }> {
  const driver: number[] = [];
  const direct: number[] = [];
  const added: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    let driverMs: number;
    let directMs: number;
    if (index % 2 === 0) {
      driverMs = await timed(() => driverCall(index));
      directMs = await timed(() => directCall(index));
    } else {
      directMs = await timed(() => directCall(index));
      driverMs = await timed(() => driverCall(index));
    }
    driver.push(driverMs);
    direct.push(directMs);
    added.push(driverMs - directMs);
  }
  return { driver, direct, added };
}

type PairSamples = Awaited<ReturnType<typeof pairs>>;

function paired(
  rpc: string,
  directCall: string,
  samples: PairSamples,
  floor: PairSamples,
  control: PairSamples,
): PairedLatency {
  const driver = summarize(samples.driver);
  const direct = summarize(samples.direct);
  return {
    rpc,
    directCall,
    driver,
    direct,
    added: summarize(samples.added),
    floor: summarize(floor.driver),
    control: summarize(control.added),
    p99GapMs: Math.round((driver.p99Ms - direct.p99Ms) * 1000) / 1000,
    quantilesMs: { driver: quantiles(samples.driver), direct: quantiles(samples.direct) },
  };
}

async function measure(driver: BenchDriver, floor: FloorServer, client: BlockStorageClient, samples: number) {
  const { controller } = driver.csi;
  const floorCall = () => floor.csi.node.nodeGetCapabilities({}, { timeoutMs: CALL_TIMEOUT_MS });
  const driverVolumes: string[] = [];
  const directVolumes: string[] = [];
  const create = await pairs(
    samples,
    async (index) => {
      const response = await controller.createVolume(
        {
          name: `pvc-latency-driver-${index}`,
          capacityRange: { requiredBytes: BigInt(GiB) },
          volumeCapabilities: [MOUNT_EXT4],
        },
        { timeoutMs: CALL_TIMEOUT_MS },
      );
      driverVolumes.push(response.volume?.volumeId ?? "");
    },
    async (index) => {
      const volume = await client.createVolume(directCreateRequest(`pvc-latency-direct-${index}`), {
        deadline: Date.now() + CALL_TIMEOUT_MS,
        idempotencyKey: `bench-create-latency-${index}`,
      });
      directVolumes.push(volume.id);
    },
  );
  const get = await pairs(
    samples,
    (index) =>
      controller.controllerGetVolume(
        { volumeId: driverVolumes[index] ?? "" },
        { timeoutMs: CALL_TIMEOUT_MS },
      ),
    (index) => client.getVolume(directVolumes[index] ?? "", { deadline: Date.now() + CALL_TIMEOUT_MS }),
  );
  const createFloor = await pairs(samples, floorCall, (index) =>
    client.createVolume(directCreateRequest(`pvc-latency-floor-${index}`), {
      deadline: Date.now() + CALL_TIMEOUT_MS,
      idempotencyKey: `bench-create-latency-floor-${index}`,
    }),
  );
  const getFloor = await pairs(samples, floorCall, (index) =>
    client.getVolume(directVolumes[index] ?? "", { deadline: Date.now() + CALL_TIMEOUT_MS }),
  );
  const directCreate = (side: string) => (index: number) =>
    client.createVolume(directCreateRequest(`pvc-latency-control-${side}-${index}`), {
      deadline: Date.now() + CALL_TIMEOUT_MS,
      idempotencyKey: `bench-create-latency-control-${side}-${index}`,
    });
  const createControl = await pairs(samples, directCreate("a"), directCreate("b"));
  const directGet = (index: number) =>
    client.getVolume(directVolumes[index] ?? "", { deadline: Date.now() + CALL_TIMEOUT_MS });
  const getControl = await pairs(samples, directGet, directGet);
  return { create, get, createFloor, getFloor, createControl, getControl };
}

/**
 * Scenario 3: the same RPC, one at a time, through the driver and as the bare client call;
 * what the driver adds per call (gRPC, validation, locks, extra lookups, logging), and the bare
 * grpc-js round trip measured the same way, the part of it no driver code can remove.
 */
export async function runAddedLatency(options: AddedLatencyOptions): Promise<AddedLatencyResult> {
  return withEnvironment(
    {
      ...options,
      remoteInstances: 1,
      maxAttachedPerInstance: 16,
      maxVolumes: options.samples * 5 + 10,
    },
    "added-latency",
    async (environment) => {
      const driver = await environment.startDriver("driver");
      const floor = await startBareServer({
        label: "bare grpc-js",
        dir: join(environment.dir, "floor"),
        repoRoot: options.repoRoot,
        nodeFlags: await imageNodeFlags(options.repoRoot),
      });
      const client = createDirectClient({
        url: environment.cloud.url,
        token: environment.cloud.token,
        qps: options.qps,
        burst: options.burst,
      });
      try {
        const measured = await measure(driver, floor, client, options.samples);
        return {
          samples: options.samples,
          rpcs: [
            paired(
              "CreateVolume",
              "createVolume (waits for the operation)",
              measured.create,
              measured.createFloor,
              measured.createControl,
            ),
            paired("ControllerGetVolume", "getVolume", measured.get, measured.getFloor, measured.getControl),
          ],
        };
      } finally {
        await client.close();
        await floor.stop();
      }
    },
  );
}
