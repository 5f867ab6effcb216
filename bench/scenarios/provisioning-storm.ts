import type { BenchCloud, StateWrites } from "../harness/bench-cloud.js";
import { auditCloud, openDirectSide } from "../harness/direct-side.js";
import { type EnvironmentOptions, withEnvironment } from "../harness/environment.js";
import { BENCH_FACES, type BenchFace, instancesFor } from "../harness/faces.js";
import { type MemoryPeaks, type MemoryReading, MemorySampler, readMemory } from "../harness/memory.js";
import { runPool } from "../harness/pool.js";
import { cpuSeconds } from "../harness/process-cpu.js";
import { type Calls, type CsiClientKind, driverCalls } from "../harness/provisioning-calls.js";
import {
  countError,
  type ErrorCounts,
  elapsedMs,
  type LatencySummary,
  ratio,
  summarize,
} from "../harness/stats.js";
import { errorLabel, type ProvisioningAudit } from "../harness/workload.js";
import type { ScenarioRun } from "./scenario-run.js";

export interface StormOptions extends ScenarioRun {
  volumes: number;
  concurrency: number;
  /**
   * API-only instances the attachments are spread over (round robin); more on a face whose API
   * allows fewer volumes per instance than that leaves each.
   */
  instances: number;
  /** How long the driver sits idle after start before the idle memory reading. */
  idleSettleMs: number;
  /** The API the cloud serves and the driver drives; ballast's unless set. */
  face?: BenchFace;
  /** The driver side's CSI client; grpc-js unless set. */
  csiClient?: CsiClientKind;
}

export interface StormPhase {
  wallMs: number;
  createVolume: LatencySummary;
  publishVolume: LatencySummary;
  errors: ErrorCounts;
  audit: ProvisioningAudit;
  /** API requests the cloud served during the phase, by operationId (the face's names). */
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
  /**
   * The cloud's state writes during the phase. Each is the whole state, synced, one at a time; on
   * this machine their count times their time is most of the wall time.
   */
  stateWrites: StateWrites;
  /**
   * CPU seconds used during the phase by the cloud process and, on the driver side, the driver
   * process: a process near `wallMs / 1000` per core was the limit; far below it, it was waiting.
   */
  cpuSeconds: { cloud: number; driver?: number };
}

export interface StormResult {
  provider: string;
  /** API-only instances the attachments went to. */
  instances: number;
  direct: StormPhase;
  driver: StormPhase;
  /** The CSI client the driver side was driven with. */
  csiClient: CsiClientKind;
  /** Driver wall time over the direct client's: 1.0 means the cloud, not the driver, is the limit. */
  wallRatio: number | null;
  /** Figures of the driver process during this run (scenario 5). */
  memory: { idle: MemoryReading; peak: MemoryPeaks };
  /** With `--storm-rounds` above 1: every round's wall times; the other figures are round 1's. */
  rounds?: StormRounds;
}

export interface StormRound {
  directWallMs: number;
  driverWallMs: number;
  wallRatio: number | null;
}

export interface StormRounds {
  each: StormRound[];
  /** The median of the rounds' ratios: one round's ratio moves with the cloud's disk. */
  medianWallRatio: number | null;
}

const MEMORY_SAMPLE_MS = 500;

function faceOf(options: StormOptions): BenchFace {
  return options.face ?? BENCH_FACES.ballast;
}

function instanceCount(options: StormOptions): number {
  return instancesFor(faceOf(options), options.volumes, options.instances);
}

function attachLimit(options: StormOptions): number {
  return faceOf(options).fixedAttachLimit ?? Math.ceil(options.volumes / instanceCount(options)) + 1;
}

function round(after: number, before: number): number {
  return Math.round((after - before) * 100) / 100;
}

function environmentOptions(options: StormOptions): EnvironmentOptions {
  return {
    ...options,
    remoteInstances: instanceCount(options),
    maxAttachedPerInstance: attachLimit(options),
    maxVolumes: options.volumes + 10,
  };
}

async function runPhase(
  options: StormOptions,
  cloud: BenchCloud,
  prefix: string,
  workload: Calls,
  driverPid?: number,
): Promise<StormPhase> {
  const createMs: number[] = [];
  const publishMs: number[] = [];
  const errors: ErrorCounts = {};
  await cloud.resetRequestLog();
  const cloudCpuBefore = await cpuSeconds(cloud.pid);
  const driverCpuBefore = driverPid === undefined ? 0 : await cpuSeconds(driverPid);
  const started = process.hrtime.bigint();
  await runPool(options.volumes, options.concurrency, async (index) => {
    const instanceId = cloud.remoteInstanceIds[index % cloud.remoteInstanceIds.length] as string;
    try {
      const createStarted = process.hrtime.bigint();
      const volumeId = await workload.create(`${prefix}${index}`);
      createMs.push(elapsedMs(createStarted));
      const publishStarted = process.hrtime.bigint();
      await workload.attach(volumeId, instanceId);
      publishMs.push(elapsedMs(publishStarted));
    } catch (error) {
      countError(errors, errorLabel(error));
    }
  });
  const wallMs = elapsedMs(started);
  const cpu = {
    cloud: round(await cpuSeconds(cloud.pid), cloudCpuBefore),
    ...(driverPid === undefined ? {} : { driver: round(await cpuSeconds(driverPid), driverCpuBefore) }),
  };
  const { calls: apiCalls, stateWrites } = await cloud.requestLog();
  return {
    wallMs: Math.round(wallMs),
    createVolume: summarize(createMs),
    publishVolume: summarize(publishMs),
    errors,
    audit: await auditCloud(faceOf(options), cloud, prefix, options.volumes),
    apiCalls,
    apiCallsTotal: Object.values(apiCalls).reduce((sum, count) => sum + count, 0),
    stateWrites,
    cpuSeconds: cpu,
  };
}

function directPhase(options: StormOptions): Promise<StormPhase> {
  return withEnvironment(environmentOptions(options), "storm-direct", async ({ cloud }) => {
    const side = await openDirectSide(faceOf(options), cloud, options);
    try {
      return await runPhase(options, cloud, "pvc-storm-", side.calls);
    } finally {
      await side.close();
    }
  });
}

function driverPhase(options: StormOptions): Promise<{ phase: StormPhase; memory: StormResult["memory"] }> {
  return withEnvironment(environmentOptions(options), "storm-driver", async (environment) => {
    const driver = await environment.startDriver("driver");
    await new Promise((resolve) => setTimeout(resolve, options.idleSettleMs));
    const idle = await readMemory(driver.pid, driver.metricsUrl);
    const sampler = new MemorySampler(driver.pid, driver.metricsUrl, MEMORY_SAMPLE_MS);
    const calls = driverCalls(driver, options.csiClient);
    try {
      const phase = await runPhase(options, environment.cloud, "pvc-storm-", calls, driver.pid);
      return { phase, memory: { idle, peak: await sampler.stop() } };
    } finally {
      calls.close();
    }
  });
}

/**
 * Scenario 1: N × (CreateVolume + ControllerPublishVolume) at concurrency C through the driver,
 * against the same work done by the bare cloud client (on another provider's face: that
 * provider's adapter) with the same rate limit. Each side gets a fresh reference cloud with the
 * same configuration.
 */
export async function runProvisioningStorm(options: StormOptions): Promise<StormResult> {
  const direct = await directPhase(options);
  const { phase: driver, memory } = await driverPhase(options);
  return {
    provider: faceOf(options).provider,
    instances: instanceCount(options),
    csiClient: options.csiClient ?? "grpc-js",
    direct,
    driver,
    wallRatio: ratio(driver.wallMs, direct.wallMs),
    memory,
  };
}
