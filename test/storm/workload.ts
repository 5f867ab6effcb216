import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CsiClient } from "../../src/demo/csi-client.js";
import {
  type DeepPartial,
  type VolumeCapability,
  VolumeCapability_AccessMode_Mode,
} from "../../src/generated/csi.js";
import type { OperationLog } from "./operation-log.js";

const GiB = 1024n ** 3n;
export const ZONE_KEY = "topology.block.csi.ballast.dev/zone";
const CALL_TIMEOUT_MS = 30_000;
const DATA_BYTES = 1024 * 1024;

const CAPABILITY: DeepPartial<VolumeCapability> = {
  accessType: { $case: "mount", value: { fsType: "ext4" } },
  accessMode: { mode: VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER },
};

export interface WorkloadContext {
  controller: CsiClient;
  /** The node plugin, for data checks; absent when the machine cannot mount. */
  node?: CsiClient | undefined;
  log: OperationLog;
  /** Prefix of every CO name of this run. */
  prefix: string;
  zone: string;
  /** API-only instances the plain cycles attach to. */
  remoteNodeIds: readonly string[];
  /** This machine's instance, for data checks. */
  localNodeId: string;
  kubeletDir: string;
  /** How long one call is retried on retryable codes before the cycle gives up. */
  retryBudgetMs: number;
  /** CreateVolume parameters the provider takes (only ballast has a `type`). */
  volumeParameters: Record<string, string>;
  /** Whether the cloud has snapshots; without, data cycles detach and re-attach instead. */
  snapshots: boolean;
  /** Every snapshot id CreateSnapshot answered, so the final check can look for each. */
  onSnapshot: (snapshotId: string) => void;
}

export class CycleFailedError extends Error {
  override readonly name = "CycleFailedError";
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(2000, 50 * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * One CSI call as a CO makes it: retried with backoff while it fails with a retryable code,
 * every attempt logged; a non-retryable code or an exhausted budget fails the cycle.
 */
async function call<T>(
  context: WorkloadContext,
  method: string,
  what: string,
  invoke: (timeoutMs: number) => Promise<T>,
): Promise<T> {
  const giveUpAt = Date.now() + context.retryBudgetMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const answer = await invoke(CALL_TIMEOUT_MS);
      context.log.succeeded(method);
      return answer;
    } catch (error) {
      const retryable = context.log.failed(method, error, what);
      if (!retryable) throw new CycleFailedError(`${method} ${what}: ${String(error)}`);
      if (Date.now() >= giveUpAt) {
        throw new CycleFailedError(
          `${method} ${what}: still failing after ${context.retryBudgetMs} ms: ${String(error)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    }
  }
}

async function createVolume(
  context: WorkloadContext,
  name: string,
  source?: { $case: "snapshot"; value: { snapshotId: string } },
): Promise<string> {
  const { volume } = await call(context, "CreateVolume", name, (timeoutMs) =>
    context.controller.controller.createVolume(
      {
        name,
        capacityRange: { requiredBytes: GiB },
        volumeCapabilities: [CAPABILITY],
        parameters: context.volumeParameters,
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: context.zone } }] },
        ...(source === undefined ? {} : { volumeContentSource: { type: source } }),
      },
      { timeoutMs },
    ),
  );
  if (volume === undefined) throw new CycleFailedError(`CreateVolume ${name}: answered no volume`);
  return volume.volumeId;
}

async function publish(context: WorkloadContext, volumeId: string, nodeId: string) {
  const { publishContext } = await call(context, "ControllerPublishVolume", volumeId, (timeoutMs) =>
    context.controller.controller.controllerPublishVolume(
      { volumeId, nodeId, volumeCapability: CAPABILITY },
      { timeoutMs },
    ),
  );
  return publishContext;
}

async function unpublish(context: WorkloadContext, volumeId: string, nodeId: string): Promise<void> {
  await call(context, "ControllerUnpublishVolume", volumeId, (timeoutMs) =>
    context.controller.controller.controllerUnpublishVolume({ volumeId, nodeId }, { timeoutMs }),
  );
}

async function deleteVolume(context: WorkloadContext, volumeId: string): Promise<void> {
  await call(context, "DeleteVolume", volumeId, (timeoutMs) =>
    context.controller.controller.deleteVolume({ volumeId }, { timeoutMs }),
  );
}

async function deleteSnapshot(context: WorkloadContext, snapshotId: string): Promise<void> {
  await call(context, "DeleteSnapshot", snapshotId, (timeoutMs) =>
    context.controller.controller.deleteSnapshot({ snapshotId }, { timeoutMs }),
  );
}

/** CreateSnapshot, repeated (as the snapshotter does) until the snapshot is ready to use. */
async function readySnapshot(
  context: WorkloadContext,
  name: string,
  sourceVolumeId: string,
): Promise<string> {
  const giveUpAt = Date.now() + context.retryBudgetMs;
  for (;;) {
    const { snapshot } = await call(context, "CreateSnapshot", name, (timeoutMs) =>
      context.controller.controller.createSnapshot({ name, sourceVolumeId }, { timeoutMs }),
    );
    if (snapshot === undefined) throw new CycleFailedError(`CreateSnapshot ${name}: answered no snapshot`);
    context.onSnapshot(snapshot.snapshotId);
    if (snapshot.readyToUse) return snapshot.snapshotId;
    if (Date.now() >= giveUpAt) throw new CycleFailedError(`snapshot ${name} never became ready`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The plain cycle, attach-only so hundreds run at once: create → publish (an API-only
 * instance) → unpublish → [snapshot → restore → delete both] → delete.
 */
export async function volumeCycle(
  context: WorkloadContext,
  index: number,
  withSnapshot: boolean,
): Promise<void> {
  const name = `${context.prefix}-v${index}`;
  const nodeId = context.remoteNodeIds[index % context.remoteNodeIds.length] as string;
  const volumeId = await createVolume(context, name);
  await publish(context, volumeId, nodeId);
  await unpublish(context, volumeId, nodeId);
  if (withSnapshot) {
    const snapshotId = await readySnapshot(context, `${name}-snap`, volumeId);
    const restoredId = await createVolume(context, `${name}-restore`, {
      $case: "snapshot",
      value: { snapshotId },
    });
    await deleteVolume(context, restoredId);
    await deleteSnapshot(context, snapshotId);
  }
  await deleteVolume(context, volumeId);
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Stages and publishes on this machine through the node plugin; returns the target path. */
async function mountHere(context: WorkloadContext, node: CsiClient, volumeId: string, readonly: boolean) {
  const publishContext = await publish(context, volumeId, context.localNodeId);
  const stagingTargetPath = join(context.kubeletDir, volumeId, "globalmount");
  const targetPath = join(context.kubeletDir, volumeId, "pod");
  await mkdir(stagingTargetPath, { recursive: true });
  await call(context, "NodeStageVolume", volumeId, (timeoutMs) =>
    node.node.nodeStageVolume(
      { volumeId, publishContext, stagingTargetPath, volumeCapability: CAPABILITY },
      { timeoutMs },
    ),
  );
  await call(context, "NodePublishVolume", volumeId, (timeoutMs) =>
    node.node.nodePublishVolume(
      { volumeId, publishContext, stagingTargetPath, targetPath, volumeCapability: CAPABILITY, readonly },
      { timeoutMs },
    ),
  );
  return { stagingTargetPath, targetPath };
}

async function unmountHere(
  context: WorkloadContext,
  node: CsiClient,
  volumeId: string,
  paths: { stagingTargetPath: string; targetPath: string },
): Promise<void> {
  await call(context, "NodeUnpublishVolume", volumeId, (timeoutMs) =>
    node.node.nodeUnpublishVolume({ volumeId, targetPath: paths.targetPath }, { timeoutMs }),
  );
  await call(context, "NodeUnstageVolume", volumeId, (timeoutMs) =>
    node.node.nodeUnstageVolume({ volumeId, stagingTargetPath: paths.stagingTargetPath }, { timeoutMs }),
  );
  await unpublish(context, volumeId, context.localNodeId);
}

/**
 * The data cycle on real loop devices: write a file through a mounted volume, unmount (which
 * flushes), snapshot, restore into a new volume, mount that read-only and compare checksums.
 * Without snapshots (Hetzner) the same volume is detached, attached again and read back.
 * Resolves whether the data came back identical.
 */
export async function dataCycle(context: WorkloadContext, index: number): Promise<boolean> {
  const node = context.node;
  if (node === undefined) throw new Error("data cycles need the node plugin");
  const name = `${context.prefix}-data${index}`;
  const volumeId = await createVolume(context, name);
  const original = await mountHere(context, node, volumeId, false);
  const data = randomBytes(DATA_BYTES);
  await writeFile(join(original.targetPath, "storm.bin"), data, { flush: true });
  await unmountHere(context, node, volumeId, original);
  if (!context.snapshots) {
    const again = await mountHere(context, node, volumeId, true);
    const identical = sha256(await readFile(join(again.targetPath, "storm.bin"))) === sha256(data);
    await unmountHere(context, node, volumeId, again);
    await deleteVolume(context, volumeId);
    return identical;
  }
  const snapshotId = await readySnapshot(context, `${name}-snap`, volumeId);
  const restoredId = await createVolume(context, `${name}-restore`, {
    $case: "snapshot",
    value: { snapshotId },
  });
  const restored = await mountHere(context, node, restoredId, true);
  const identical = sha256(await readFile(join(restored.targetPath, "storm.bin"))) === sha256(data);
  await unmountHere(context, node, restoredId, restored);
  await deleteVolume(context, restoredId);
  await deleteSnapshot(context, snapshotId);
  await deleteVolume(context, volumeId);
  return identical;
}
