import type { BlockStorageClient, PollPolicy } from "../../src/cloud/index.js";
import { createDirectClient } from "../harness/direct-client.js";
import { type Environment, withEnvironment } from "../harness/environment.js";
import { startHintStrippingProxy } from "../harness/hint-stripping-proxy.js";
import { runPool } from "../harness/pool.js";
import { type Calls, directCalls, driverCalls } from "../harness/provisioning-calls.js";
import { countError, type ErrorCounts, elapsedMs, ratio } from "../harness/stats.js";
import { errorLabel } from "../harness/workload.js";

export interface EconomyOptions {
  volumes: number;
  concurrency: number;
  latencyMs: number;
  qps: number;
  burst: number;
  workDir: string;
  repoRoot: string;
  driverLogLevel?: string;
}

/** One waiting strategy: who calls (driver or bare client) and what tells it when to poll. */
interface Strategy {
  name: string;
  via: "driver" | "direct";
  serverHints: boolean;
  poll?: Partial<PollPolicy>;
}

const STRATEGIES: Strategy[] = [
  { name: "driver, server hints (Poll-After-Ms)", via: "driver", serverHints: true },
  { name: "driver, polling backoff only", via: "driver", serverHints: false },
  { name: "direct client, server hints", via: "direct", serverHints: true },
  { name: "direct client, polling backoff only", via: "direct", serverHints: false },
  {
    name: "direct client, eager polling (20 ms, x1.5, max 200 ms)",
    via: "direct",
    serverHints: false,
    poll: { initialDelayMs: 20, maxDelayMs: 200, multiplier: 1.5 },
  },
];

/** Calls the driver makes once per process (cached for a minute), counted apart from per-volume calls. */
const CATALOG_READS = ["listZones", "listVolumeTypes"];

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
  /** listZones + listVolumeTypes during the creates: catalog reads that concurrent RPCs shared. */
  catalogReads: number;
}

export interface EconomyResult {
  volumes: number;
  strategies: StrategyEconomy[];
  /** The target for the driver with server hints: at most 2 API calls per created volume. */
  createTarget: { callsPerVolume: number; driverCallsPerVolume: number | null; met: boolean };
}

const CREATE_TARGET = 2;

async function measurePhase(
  environment: Environment,
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
  const calls = await environment.cloud.requestCounts();
  const total = Object.entries(calls)
    .filter(([operation]) => !CATALOG_READS.includes(operation))
    .reduce((sum, [, value]) => sum + value, 0);
  return { callsPerVolume: ratio(total, count), calls, wallMs, errors };
}

async function measureStrategy(
  environment: Environment,
  options: EconomyOptions,
  strategy: Strategy,
  index: number,
): Promise<StrategyEconomy> {
  const proxy = strategy.serverHints ? undefined : await startHintStrippingProxy(environment.cloud.url);
  const url = proxy?.url ?? environment.cloud.url;
  let client: BlockStorageClient | undefined;
  try {
    let calls: Calls;
    if (strategy.via === "driver") {
      calls = driverCalls(await environment.startDriver(`driver-${index}`, url));
    } else {
      client = createDirectClient({
        url,
        token: environment.cloud.token,
        qps: options.qps,
        burst: options.burst,
        ...(strategy.poll === undefined ? {} : { poll: strategy.poll }),
      });
      calls = directCalls(client);
    }
    const volumeIds: (string | undefined)[] = [];
    const create = await measurePhase(environment, options.volumes, options.concurrency, async (i) => {
      volumeIds[i] = await calls.create(`pvc-economy-${index}-${i}`);
    });
    const instances = environment.cloud.remoteInstanceIds;
    const attach = await measurePhase(environment, options.volumes, options.concurrency, async (i) => {
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
      catalogReads: CATALOG_READS.reduce((sum, operation) => sum + (create.calls[operation] ?? 0), 0),
    };
  } finally {
    await client?.close();
    await proxy?.close();
  }
}

/**
 * Scenario 2: API calls per created and per attached volume, counted by the reference cloud's
 * request log, for the driver and for the bare client under each waiting strategy.
 */
export async function runApiEconomy(options: EconomyOptions): Promise<EconomyResult> {
  const remoteInstances = 10;
  const totalVolumes = options.volumes * STRATEGIES.length;
  return withEnvironment(
    {
      ...options,
      remoteInstances,
      maxAttachedPerInstance: Math.ceil(totalVolumes / remoteInstances) + 1,
      maxVolumes: totalVolumes + 10,
    },
    "api-economy",
    async (environment) => {
      const strategies: StrategyEconomy[] = [];
      for (const [index, strategy] of STRATEGIES.entries()) {
        strategies.push(await measureStrategy(environment, options, strategy, index));
      }
      const driverCallsPerVolume = strategies[0]?.create.callsPerVolume ?? null;
      return {
        volumes: options.volumes,
        strategies,
        createTarget: {
          callsPerVolume: CREATE_TARGET,
          driverCallsPerVolume,
          met: driverCallsPerVolume !== null && driverCallsPerVolume <= CREATE_TARGET,
        },
      };
    },
  );
}
