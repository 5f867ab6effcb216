import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import { status } from "@grpc/grpc-js";
import { isServiceError } from "../../src/demo/csi-client.js";
import {
  type DeepPartial,
  type TopologyRequirement,
  type VolumeCapability,
  VolumeCapability_AccessMode_Mode,
} from "../../src/generated/csi.js";
import type { DevSystem } from "./harness.js";

export const GiB = 1024n ** 3n;
export const DRIVER_NAME = "block.csi.ballast.dev";
export const ZONE_KEY = "topology.block.csi.ballast.dev/zone";
export const WELL_FORMED_UNKNOWN_VOLUME = "vol-00000000deadbeef";
export const WELL_FORMED_UNKNOWN_SNAPSHOT = "snap-00000000deadbeef";
export const WELL_FORMED_UNKNOWN_NODE = "i-00000000deadbeef";

export const Mode = VolumeCapability_AccessMode_Mode;

export function mountCapability(
  fsType = "ext4",
  mode: VolumeCapability_AccessMode_Mode = Mode.SINGLE_NODE_WRITER,
  mountFlags: string[] = [],
): DeepPartial<VolumeCapability> {
  return { accessType: { $case: "mount", value: { fsType, mountFlags } }, accessMode: { mode } };
}

export function blockCapability(
  mode: VolumeCapability_AccessMode_Mode = Mode.SINGLE_NODE_WRITER,
): DeepPartial<VolumeCapability> {
  return { accessType: { $case: "block", value: {} }, accessMode: { mode } };
}

export function inZone(zone: string): DeepPartial<TopologyRequirement> {
  return { requisite: [{ segments: { [ZONE_KEY]: zone } }], preferred: [{ segments: { [ZONE_KEY]: zone } }] };
}

/** A CO-style name, unique per call so tests never meet each other's volumes. */
export function uniqueName(prefix: string): string {
  return `pvc-${prefix}-${randomBytes(6).toString("hex")}`;
}

/** Asserts that `promise` fails with exactly this gRPC status code; returns the error's details. */
export async function expectCode(promise: Promise<unknown>, code: status): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isServiceError(error), `expected a gRPC status, got ${String(error)}`);
    assert.equal(
      status[error.code],
      status[code],
      `expected ${status[code]}, got ${status[error.code]}: ${error.details}`,
    );
    return error.details;
  }
  assert.fail(`expected ${status[code]}, but the call succeeded`);
}

/**
 * Records what a test created and removes it after the test, pass or fail, in the order a CO
 * would: node unpublish/unstage, controller unpublish, snapshots, then volumes.
 */
export class Cleanup {
  private readonly nodeUnpublishes: Array<{ volumeId: string; targetPath: string }> = [];
  private readonly nodeUnstages: Array<{ volumeId: string; stagingTargetPath: string }> = [];
  private readonly controllerUnpublishes: Array<{ volumeId: string; nodeId: string }> = [];
  private readonly snapshots = new Set<string>();
  private readonly volumes = new Set<string>();

  constructor(private readonly system: DevSystem) {}

  static for(t: TestContext, system: DevSystem): Cleanup {
    const cleanup = new Cleanup(system);
    t.after(() => cleanup.run());
    return cleanup;
  }

  volume(volumeId: string): string {
    this.volumes.add(volumeId);
    return volumeId;
  }

  snapshot(snapshotId: string): string {
    this.snapshots.add(snapshotId);
    return snapshotId;
  }

  controllerPublish(volumeId: string, nodeId: string): void {
    this.controllerUnpublishes.push({ volumeId, nodeId });
  }

  nodeStage(volumeId: string, stagingTargetPath: string): void {
    this.nodeUnstages.push({ volumeId, stagingTargetPath });
  }

  nodePublish(volumeId: string, targetPath: string): void {
    this.nodeUnpublishes.push({ volumeId, targetPath });
  }

  async run(): Promise<void> {
    const { controller, node } = this.system.csi;
    const failures: string[] = [];
    const attempt = async (what: string, call: () => Promise<unknown>) => {
      await retryLikeACo(call).catch((error: unknown) => failures.push(`${what}: ${String(error)}`));
    };
    for (const request of this.nodeUnpublishes.reverse())
      await attempt(`NodeUnpublishVolume ${request.targetPath}`, () => node.nodeUnpublishVolume(request));
    for (const request of this.nodeUnstages.reverse())
      await attempt(`NodeUnstageVolume ${request.stagingTargetPath}`, () => node.nodeUnstageVolume(request));
    for (const request of this.controllerUnpublishes.reverse())
      await attempt(`ControllerUnpublishVolume ${request.volumeId}`, () =>
        controller.controllerUnpublishVolume(request),
      );
    for (const snapshotId of this.snapshots)
      await attempt(`DeleteSnapshot ${snapshotId}`, () => controller.deleteSnapshot({ snapshotId }));
    for (const volumeId of this.volumes)
      await attempt(`DeleteVolume ${volumeId}`, () => controller.deleteVolume({ volumeId }));
    if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join("; ")}`);
  }
}

/** Codes the spec tells a CO to retry with backoff: the operation is pending or the plugin is busy. */
const RETRIED_CODES = new Set([status.ABORTED, status.UNAVAILABLE]);

/**
 * Retries a call while it fails with ABORTED or UNAVAILABLE, as the sidecars do (e.g. a
 * snapshot still being cut cannot be deleted yet); bounded so a stuck plugin fails the test.
 */
export async function retryLikeACo<T>(call: () => Promise<T>, attempts = 120, intervalMs = 250): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isServiceError(error) || !RETRIED_CODES.has(error.code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Creates (or finds) a snapshot by name and waits until it is ready to use, as a CO would before restoring. */
export async function readySnapshot(
  system: DevSystem,
  cleanup: Cleanup,
  name: string,
  sourceVolumeId: string,
) {
  const first = await system.csi.controller.createSnapshot({ name, sourceVolumeId });
  assert.ok(first.snapshot);
  cleanup.snapshot(first.snapshot.snapshotId);
  return eventually(`snapshot ${name} ready_to_use`, async () => {
    const { snapshot } = await system.csi.controller.createSnapshot({ name, sourceVolumeId });
    return snapshot?.readyToUse ? snapshot : undefined;
  });
}

/** Runs the same call `times` times in sequence and returns every answer. */
export async function repeat<T>(times: number, call: () => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  for (let index = 0; index < times; index += 1) answers.push(await call());
  return answers;
}

/** Polls until `check` returns a value; bounded so a broken driver fails the test instead of hanging it. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  attempts = 120,
  intervalMs = 250,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what}: still not true after ${attempts} checks`);
}

/**
 * Volume sizes a test can ask for on this face: `of(0)` is the smallest the default volume type
 * makes (at least 1 GiB), each step one more unit of its granularity (at least 1 GiB), so a test
 * that grows or compares sizes works on 1 GiB steps and on Hetzner's 10 GB minimum alike.
 */
export interface VolumeSizes {
  readonly smallest: bigint;
  readonly step: bigint;
  /** The largest size the cloud makes of any type. */
  readonly largest: bigint;
  of(steps: number): bigint;
}

export async function volumeSizes(system: DevSystem): Promise<VolumeSizes> {
  const types = await system.view.volumeTypes();
  const type = types.find((candidate) => candidate.name === system.facts.defaultVolumeType);
  assert.ok(type, `the cloud offers the default volume type ${system.facts.defaultVolumeType}`);
  const atLeastGiB = (bytes: number) => (BigInt(bytes) > GiB ? BigInt(bytes) : GiB);
  const smallest = atLeastGiB(type.minSizeBytes);
  const step = atLeastGiB(type.sizeGranularityBytes);
  const largest = types.reduce((max, candidate) => Math.max(max, candidate.maxSizeBytes), 0);
  return { smallest, step, largest: BigInt(largest), of: (steps) => smallest + BigInt(steps) * step };
}
