import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type BenchCloud, startBenchCloud } from "../harness/bench-cloud.js";
import { startBenchDriver } from "../harness/bench-driver.js";
import { createDirectClient } from "../harness/direct-client.js";
import { type MemoryPeaks, type MemoryReading, MemorySampler, readMemory } from "../harness/memory.js";
import { runPool } from "../harness/pool.js";
import {
  countError,
  type ErrorCounts,
  elapsedMs,
  type LatencySummary,
  ratio,
  summarize,
} from "../harness/stats.js";
import {
  auditVolumes,
  CALL_TIMEOUT_MS,
  directCreateRequest,
  errorLabel,
  GiB,
  MOUNT_EXT4,
  type ProvisioningAudit,
} from "../harness/workload.js";

export interface StormOptions {
  volumes: number;
  concurrency: number;
  latencyMs: number;
  qps: number;
  burst: number;
  /** API-only instances the attachments are spread over (round robin). */
  instances: number;
  /** How long the driver sits idle after start before the idle memory reading. */
  idleSettleMs: number;
  workDir: string;
  repoRoot: string;
}

export interface StormPhase {
  wallMs: number;
  createVolume: LatencySummary;
  publishVolume: LatencySummary;
  errors: ErrorCounts;
  audit: ProvisioningAudit;
  /** `/v1` requests the cloud served during the phase, by operationId. */
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
}

export interface StormResult {
  direct: StormPhase;
  driver: StormPhase;
  /** Driver wall time over the direct client's: 1.0 means the cloud, not the driver, is the limit. */
  wallRatio: number | null;
  /** Figures of the driver process during this run (scenario 5). */
  memory: { idle: MemoryReading; peak: MemoryPeaks };
}

const MEMORY_SAMPLE_MS = 500;

interface Workload {
  create(name: string): Promise<string>;
  publish(volumeId: string, instanceId: string): Promise<void>;
}

function attachLimit(options: StormOptions): number {
  return Math.ceil(options.volumes / options.instances) + 1;
}

async function phaseCloud(options: StormOptions, name: string): Promise<BenchCloud> {
  const dir = join(options.workDir, name);
  await mkdir(dir, { recursive: true });
  return startBenchCloud({
    dir,
    repoRoot: options.repoRoot,
    latencyMs: options.latencyMs,
    remoteInstances: options.instances,
    maxAttachedPerInstance: attachLimit(options),
    localAttach: false,
    byIdDir: join(dir, "by-id"),
    maxVolumes: options.volumes + 10,
  });
}

async function runPhase(
  options: StormOptions,
  cloud: BenchCloud,
  prefix: string,
  workload: Workload,
): Promise<StormPhase> {
  const createMs: number[] = [];
  const publishMs: number[] = [];
  const errors: ErrorCounts = {};
  await cloud.resetRequestLog();
  const started = process.hrtime.bigint();
  await runPool(options.volumes, options.concurrency, async (index) => {
    const instanceId = cloud.remoteInstanceIds[index % cloud.remoteInstanceIds.length] as string;
    try {
      const createStarted = process.hrtime.bigint();
      const volumeId = await workload.create(`${prefix}${index}`);
      createMs.push(elapsedMs(createStarted));
      const publishStarted = process.hrtime.bigint();
      await workload.publish(volumeId, instanceId);
      publishMs.push(elapsedMs(publishStarted));
    } catch (error) {
      countError(errors, errorLabel(error));
    }
  });
  const wallMs = elapsedMs(started);
  const apiCalls = await cloud.requestCounts();
  const auditClient = createDirectClient({ url: cloud.url, token: cloud.token, qps: 1000, burst: 1000 });
  try {
    return {
      wallMs: Math.round(wallMs),
      createVolume: summarize(createMs),
      publishVolume: summarize(publishMs),
      errors,
      audit: await auditVolumes(auditClient, prefix, options.volumes),
      apiCalls,
      apiCallsTotal: Object.values(apiCalls).reduce((sum, count) => sum + count, 0),
    };
  } finally {
    await auditClient.close();
  }
}

async function directPhase(options: StormOptions): Promise<StormPhase> {
  const cloud = await phaseCloud(options, "storm-direct");
  const client = createDirectClient({
    url: cloud.url,
    token: cloud.token,
    qps: options.qps,
    burst: options.burst,
  });
  try {
    return await runPhase(options, cloud, "pvc-storm-", {
      async create(name) {
        const volume = await client.createVolume(directCreateRequest(name), {
          deadline: Date.now() + CALL_TIMEOUT_MS,
          idempotencyKey: `bench-create-${name}`,
        });
        return volume.id;
      },
      async publish(volumeId, instanceId) {
        await client.attachVolume(
          volumeId,
          { instanceId, readOnly: false },
          {
            deadline: Date.now() + CALL_TIMEOUT_MS,
            idempotencyKey: `bench-attach-${volumeId}-${instanceId}`,
          },
        );
      },
    });
  } finally {
    await client.close();
    await cloud.stop();
  }
}

async function driverPhase(
  options: StormOptions,
): Promise<{ phase: StormPhase; memory: StormResult["memory"] }> {
  const cloud = await phaseCloud(options, "storm-driver");
  try {
    const driver = await startBenchDriver({
      dir: join(options.workDir, "storm-driver"),
      repoRoot: options.repoRoot,
      cloudUrl: cloud.url,
      token: cloud.token,
      qps: options.qps,
      burst: options.burst,
      nodeId: cloud.localInstanceId,
      byIdDir: join(options.workDir, "storm-driver", "by-id"),
      maxVolumesPerNode: attachLimit(options),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, options.idleSettleMs));
      const idle = await readMemory(driver.pid, driver.metricsUrl);
      const sampler = new MemorySampler(driver.pid, driver.metricsUrl, MEMORY_SAMPLE_MS);
      const { controller } = driver.csi;
      const phase = await runPhase(options, cloud, "pvc-storm-", {
        async create(name) {
          const response = await controller.createVolume(
            { name, capacityRange: { requiredBytes: BigInt(GiB) }, volumeCapabilities: [MOUNT_EXT4] },
            { timeoutMs: CALL_TIMEOUT_MS },
          );
          const volumeId = response.volume?.volumeId;
          if (volumeId === undefined) throw new Error(`CreateVolume ${name} answered no volume`);
          return volumeId;
        },
        async publish(volumeId, nodeId) {
          await controller.controllerPublishVolume(
            { volumeId, nodeId, volumeCapability: MOUNT_EXT4, readonly: false },
            { timeoutMs: CALL_TIMEOUT_MS },
          );
        },
      });
      return { phase, memory: { idle, peak: await sampler.stop() } };
    } finally {
      await driver.stop();
    }
  } finally {
    await cloud.stop();
  }
}

/**
 * Scenario 1: N × (CreateVolume + ControllerPublishVolume) at concurrency C through the driver,
 * against the same work done by the bare cloud client with the same rate limit. Each side gets a
 * fresh reference cloud with the same configuration.
 */
export async function runProvisioningStorm(options: StormOptions): Promise<StormResult> {
  const direct = await directPhase(options);
  const { phase: driver, memory } = await driverPhase(options);
  return { direct, driver, wallRatio: ratio(driver.wallMs, direct.wallMs), memory };
}
