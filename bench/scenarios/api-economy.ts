import type { PollPolicy } from "../../src/cloud/index.js";
import { type DirectSide, openDirectSide } from "../harness/direct-side.js";
import { type Environment, withEnvironment } from "../harness/environment.js";
import { BENCH_FACES, type BenchFace, instancesFor } from "../harness/faces.js";
import { startHintStrippingProxy } from "../harness/hint-stripping-proxy.js";
import { runPool } from "../harness/pool.js";
import { type Calls, driverCalls } from "../harness/provisioning-calls.js";
import { countError, type ErrorCounts, elapsedMs, ratio } from "../harness/stats.js";
import { errorLabel } from "../harness/workload.js";
import type { ScenarioRun } from "./scenario-run.js";

export interface EconomyOptions extends ScenarioRun {
  volumes: number;
  concurrency: number;
  /** The API the cloud serves and the driver drives; ballast's unless set. */
  face?: BenchFace;
}

/** One waiting strategy: who calls (driver or bare client) and what tells it when to poll. */
interface Strategy {
  name: string;
  via: "driver" | "direct";
  /** Answers pass a proxy that removes the polling hints, so the caller polls at its own pace. */
  stripHints: boolean;
  poll?: Partial<PollPolicy>;
}

const BALLAST_STRATEGIES: Strategy[] = [
  { name: "driver, server hints (Poll-After-Ms)", via: "driver", stripHints: false },
  { name: "driver, polling backoff only", via: "driver", stripHints: true },
  { name: "direct client, server hints", via: "direct", stripHints: false },
  { name: "direct client, polling backoff only", via: "direct", stripHints: true },
  {
    name: "direct client, eager polling (20 ms, x1.5, max 200 ms)",
    via: "direct",
    stripHints: true,
    poll: { initialDelayMs: 20, maxDelayMs: 200, multiplier: 1.5 },
  },
];

/**
 * Another provider's face sends no polling hints (its actions are polled at the client's own
 * pace), so there is nothing to strip; and its adapter's polling is the provider's, not a policy
 * of the bench's choosing.
 */
const FACE_STRATEGIES: Strategy[] = [
  { name: "driver", via: "driver", stripHints: false },
  { name: "direct (provider adapter)", via: "direct", stripHints: false },
];

function strategiesOf(face: BenchFace): Strategy[] {
  return face.pollingHints ? BALLAST_STRATEGIES : FACE_STRATEGIES;
}

/** What the cloud's request log counted for one phase (all creates, or all attaches). */
export interface PhaseEconomy {
  /** Every call but the catalog reads, per volume. */
  callsPerVolume: number | null;
  calls: Record<string, number>;
  wallMs: number;
  errors: ErrorCounts;
}

export interface StrategyEconomy {
  strategy: string;
  create: PhaseEconomy;
  attach: PhaseEconomy;
  /**
   * Catalog reads (ballast: listZones + listVolumeTypes) during the creates, which concurrent RPCs
   * shared; 0 on faces whose adapters know their zones and types without a call.
   */
  catalogReads: number;
}

/** An issue's limit on calls per volume through the driver (the first strategy), and the verdict. */
export interface EconomyTarget {
  phase: "create" | "attach";
  callsPerVolume: number;
  driverCallsPerVolume: number | null;
  met: boolean;
}

export interface EconomyResult {
  provider: string;
  volumes: number;
  /** The uncounted warm-up: volumes created and attached directly, and the calls it made. */
  warmUp: { volumes: number; calls: Record<string, number> };
  strategies: StrategyEconomy[];
  targets: EconomyTarget[];
}

async function measurePhase(
  environment: Environment,
  catalogReads: readonly string[],
  count: number,
  concurrency: number,
  call: (index: number) => Promise<void>,
): Promise<PhaseEconomy> {
  const errors: ErrorCounts = {};
  await environment.cloud.resetRequestLog();
  const started = process.hrtime.bigint();
  await runPool(count, concurrency, async (index) => {
    try {
      await call(index);
    } catch (error) {
      countError(errors, errorLabel(error));
    }
  });
  const wallMs = Math.round(elapsedMs(started));
  const { calls } = await environment.cloud.requestLog();
  const total = Object.entries(calls)
    .filter(([operation]) => !catalogReads.includes(operation))
    .reduce((sum, [, value]) => sum + value, 0);
  return { callsPerVolume: ratio(total, count), calls, wallMs, errors };
}

async function measureStrategy(
  environment: Environment,
  options: EconomyOptions,
  face: BenchFace,
  strategy: Strategy,
  index: number,
): Promise<StrategyEconomy> {
  const proxy = strategy.stripHints ? await startHintStrippingProxy(environment.cloud.apiUrl) : undefined;
  const url = proxy?.url ?? environment.cloud.apiUrl;
  let direct: DirectSide | undefined;
  try {
    let calls: Calls;
    if (strategy.via === "driver") {
      calls = driverCalls(await environment.startDriver(`driver-${index}`, url));
    } else {
      direct = await openDirectSide(face, environment.cloud, {
        url,
        qps: options.qps,
        burst: options.burst,
        ...(strategy.poll === undefined ? {} : { poll: strategy.poll }),
      });
      calls = direct.calls;
    }
    const reads = face.catalogReads;
    const volumeIds: (string | undefined)[] = [];
    const create = await measurePhase(environment, reads, options.volumes, options.concurrency, async (i) => {
      volumeIds[i] = await calls.create(`pvc-economy-${index}-${i}`);
    });
    const instances = environment.cloud.remoteInstanceIds;
    const attach = await measurePhase(environment, reads, options.volumes, options.concurrency, async (i) => {
      const volumeId = volumeIds[i];
      if (volumeId === undefined) throw new Error(`volume ${i} was not created`);
      // Spread over the instances across all strategies, so none passes its attach limit.
      const slot = index * options.volumes + i;
      await calls.attach(volumeId, instances[slot % instances.length] as string);
    });
    return {
      strategy: strategy.name,
      create,
      attach,
      catalogReads: reads.reduce((sum, operation) => sum + (create.calls[operation] ?? 0), 0),
    };
  } finally {
    await direct?.close();
    await proxy?.close();
  }
}

/** The face's limits on calls per create and per attach, judged on the driver's figures. */
export function economyTargets(face: BenchFace, driver: StrategyEconomy | undefined): EconomyTarget[] {
  return (["create", "attach"] as const).flatMap((phase) => {
    const limit = face.targets[phase];
    if (limit === undefined) return [];
    const value = driver?.[phase].callsPerVolume ?? null;
    return [
      { phase, callsPerVolume: limit, driverCallsPerVolume: value, met: value !== null && value <= limit },
    ];
  });
}

/**
 * Creates and attaches `count` volumes directly, uncounted, before the first strategy. The
 * reference cloud's polling hints point past how long each kind of work has lately taken, an
 * estimate it learns from the work it runs: without this, the first strategy (the driver) would
 * meet a cloud that has run nothing yet, whose hints are short of the first creates' saves, and
 * pay their extra polls alone.
 */
async function warmUp(
  environment: Environment,
  options: EconomyOptions,
  face: BenchFace,
  count: number,
  firstSlot: number,
): Promise<EconomyResult["warmUp"]> {
  const direct = await openDirectSide(face, environment.cloud, {
    url: environment.cloud.apiUrl,
    qps: options.qps,
    burst: options.burst,
  });
  try {
    const instances = environment.cloud.remoteInstanceIds;
    await environment.cloud.resetRequestLog();
    await runPool(count, options.concurrency, async (i) => {
      const volumeId = await direct.calls.create(`pvc-economy-warm-up-${i}`);
      await direct.calls.attach(volumeId, instances[(firstSlot + i) % instances.length] as string);
    });
    return { volumes: count, calls: (await environment.cloud.requestLog()).calls };
  } finally {
    await direct.close();
  }
}

/**
 * Scenario 2: API calls per created and per attached volume, counted by the reference cloud's
 * request log (shared by every face, read at `/admin/requests`), for the driver and for the
 * direct side under each waiting strategy, after an uncounted warm-up of as many volumes as are
 * created at once.
 */
export async function runApiEconomy(options: EconomyOptions): Promise<EconomyResult> {
  const face = options.face ?? BENCH_FACES.ballast;
  const strategies = strategiesOf(face);
  const measuredVolumes = options.volumes * strategies.length;
  const warmUpVolumes = options.concurrency;
  const totalVolumes = measuredVolumes + warmUpVolumes;
  const remoteInstances = instancesFor(face, totalVolumes, 10);
  return withEnvironment(
    {
      ...options,
      remoteInstances,
      maxAttachedPerInstance: face.fixedAttachLimit ?? Math.ceil(totalVolumes / remoteInstances) + 1,
      maxVolumes: totalVolumes + 10,
    },
    "api-economy",
    async (environment) => {
      const warmed = await warmUp(environment, options, face, warmUpVolumes, measuredVolumes);
      const results: StrategyEconomy[] = [];
      for (const [index, strategy] of strategies.entries()) {
        results.push(await measureStrategy(environment, options, face, strategy, index));
      }
      return {
        provider: face.provider,
        volumes: options.volumes,
        warmUp: warmed,
        strategies: results,
        targets: economyTargets(face, results[0]),
      };
    },
  );
}
