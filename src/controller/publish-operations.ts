import type {
  ControllerPublishVolumeRequest,
  ControllerPublishVolumeResponse,
  ControllerUnpublishVolumeRequest,
  VolumeCapability,
} from "../generated/csi.js";
import { isMultiNode, isSingleNode } from "../shared/access-modes.js";
import {
  alreadyExists,
  BallastError,
  failedPrecondition,
  invalidArgument,
  notFound,
  resourceExhausted,
} from "../shared/errors.js";
import type { LockSet } from "../shared/inflight-locks.js";
import { unsupportedCapabilityReason } from "./access-modes.js";
import type { Attachment, OperationOptions, Volume } from "./block-storage.js";
import { type ControllerContext, lockKeys } from "./controller-context.js";
import { operationKey } from "./idempotency-keys.js";
import { volumeTypeFromContext } from "./volume-context.js";
import { findVolumeType } from "./volume-type-rules.js";

function publishContext(attachment: Attachment): Record<string, string> {
  return { serial: attachment.serial, byIdPath: attachment.byIdPath };
}

/** Cloud error kinds that a read of the volume and the node can word more exactly. */
const EXPLAINABLE_KINDS: readonly string[] = [
  "NotFound",
  "AlreadyExists",
  "FailedPrecondition",
  "ResourceExhausted",
  "Aborted",
];

/**
 * ControllerPublishVolume = attach to the node's instance. Already attached there → the same
 * publish context. Attached elsewhere in a single-node mode → FailedPrecondition naming the node.
 * A full node → ResourceExhausted. The cloud enforces existence, zones and attach limits itself,
 * and a single-node mode's attach is exclusive, so the cloud also refuses it while the volume is
 * attached to another node, whatever its tier is now: that keeps the attach-first path safe when
 * the volumeType hint is stale. The volume and node are read only to word a refusal, except when
 * the hint does not name a single-attach tier (a static PV, a multi-attach tier) or the mode is
 * MULTI_NODE_READER_ONLY: then the volume is read first to check the capability against its tier.
 */
export async function publishVolume(
  context: ControllerContext,
  request: ControllerPublishVolumeRequest,
  options: OperationOptions,
): Promise<ControllerPublishVolumeResponse> {
  const capability = request.volumeCapability;
  if (capability === undefined) throw invalidArgument("volume_capability: is required");
  const reason = unsupportedCapabilityReason(capability, context.provider);
  if (reason !== undefined) throw invalidArgument(`volume_capability: ${reason}`);
  const mode = capability.accessMode?.mode;
  const multiNode = mode !== undefined && isMultiNode(mode);
  // Kubernetes passes the PV's readOnly (false unless csi-provisioner runs with
  // --controller-publish-readonly), but this mode only ever reads: attach read-only whatever it says.
  const asked = multiNode ? { ...request, readonly: true } : request;
  return context.locks.run("ControllerPublishVolume", publishLocks(asked, multiNode), async () => {
    const hinted = volumeTypeFromContext(asked.volumeContext);
    const types = await context.catalog.volumeTypes(options);
    const singleAttach = !multiNode && types.some((t) => t.name === hinted && !t.multiAttach);
    if (!singleAttach) {
      const existing = await checkedBeforeAttach(context, asked, capability, multiNode, options);
      if (existing !== undefined) return { publishContext: publishContext(existing) };
    }
    try {
      const attachment = await context.cloud.attachVolume(
        asked.volumeId,
        asked.nodeId,
        { readOnly: asked.readonly, exclusive: mode !== undefined && isSingleNode(mode) },
        {
          ...options,
          idempotencyKey: operationKey(context.driverName, "attach", `${asked.volumeId}/${asked.nodeId}`),
        },
      );
      return { publishContext: publishContext(attachment) };
    } catch (error) {
      if (error instanceof BallastError && EXPLAINABLE_KINDS.includes(error.kind)) {
        await explainRefusal(context, asked, multiNode, options);
      }
      throw error;
    }
  });
}

/**
 * What a publish holds. A multi-node publish holds only its (volume, node) pair exclusively, so the
 * external-attacher's publishes of one volume to many nodes at once all proceed; a single-node
 * publish holds the whole volume, so two nodes never race for it.
 */
function publishLocks(request: ControllerPublishVolumeRequest, multiNode: boolean): LockSet {
  const whole = lockKeys.volumeId(request.volumeId);
  if (!multiNode) return { exclusive: [whole], shared: [] };
  return { exclusive: [lockKeys.volumeOnNode(request.volumeId, request.nodeId)], shared: [whole] };
}

/**
 * The checks made on a read for a volume whose tier may allow several attachments: the tier's
 * support for the capability, and a single-node mode's one node (which the exclusive attach
 * enforces again, atomically, against a concurrent publish). Returns the attachment when the
 * volume is already published to this node as asked.
 */
async function checkedBeforeAttach(
  context: ControllerContext,
  request: ControllerPublishVolumeRequest,
  capability: VolumeCapability,
  multiNode: boolean,
  options: OperationOptions,
): Promise<Attachment | undefined> {
  const volume = await context.cloud.getVolume(request.volumeId, options);
  if (volume === undefined) throw notFound(`volume_id: volume ${request.volumeId} does not exist`);
  const tier = findVolumeType("volume type", volume.type, await context.catalog.volumeTypes(options));
  const reason = unsupportedCapabilityReason(capability, context.provider, tier);
  if (reason !== undefined) throw invalidArgument(`volume_capability: ${reason}`);
  const here = attachedHere(volume, request, context.provider.capabilities.readOnlyAttach);
  if (here !== undefined) return here;
  refuseOtherNodes(volume, request, multiNode);
  return undefined;
}

/**
 * Words the cloud's refusal of an attach as the CSI spec asks, from the volume and node as they
 * are now; returns when they do not explain it, so the cloud's own error stands.
 */
async function explainRefusal(
  context: ControllerContext,
  request: ControllerPublishVolumeRequest,
  multiNode: boolean,
  options: OperationOptions,
): Promise<void> {
  const volume = await context.cloud.getVolume(request.volumeId, options);
  if (volume === undefined) throw notFound(`volume_id: volume ${request.volumeId} does not exist`);
  const instance = await context.cloud.getInstance(request.nodeId, options);
  if (instance === undefined) throw notFound(`node_id: node ${request.nodeId} does not exist`);
  attachedHere(volume, request, context.provider.capabilities.readOnlyAttach);
  refuseOtherNodes(volume, request, multiNode);
  if (volume.zone !== instance.zone) {
    throw failedPrecondition(
      `volume ${volume.id} is in zone ${volume.zone} and node ${instance.id} in zone ${instance.zone}`,
    );
  }
  const onThisNode = volume.attachments.some((a) => a.instanceId === instance.id);
  if (!onThisNode && instance.attachedVolumeIds.length >= instance.maxAttachedVolumes) {
    throw resourceExhausted(
      `node ${instance.id} already has ${instance.attachedVolumeIds.length} of ${instance.maxAttachedVolumes} volumes attached`,
    );
  }
}

/**
 * The volume's attachment to the node when it is attached as asked; AlreadyExists when readonly
 * differs. A cloud without read-only attachments attached a read-only publish read-write, so that
 * is what a repeat of it finds.
 */
function attachedHere(
  volume: Volume,
  request: ControllerPublishVolumeRequest,
  readOnlyAttach: boolean,
): Attachment | undefined {
  const here = volume.attachments.find((a) => a.instanceId === request.nodeId && a.state === "attached");
  const asAttached = request.readonly && readOnlyAttach;
  if (here !== undefined && here.readOnly !== asAttached) {
    throw alreadyExists(
      `volume ${volume.id} is already published to node ${request.nodeId} with readonly ${here.readOnly}`,
    );
  }
  return here;
}

function refuseOtherNodes(volume: Volume, request: ControllerPublishVolumeRequest, multiNode: boolean): void {
  const elsewhere = volume.attachments.filter((a) => a.instanceId !== request.nodeId);
  if (elsewhere.length > 0 && !multiNode) {
    throw failedPrecondition(
      `volume ${volume.id} is published to node ${elsewhere.map((a) => a.instanceId).join(", ")}; its access mode allows one node`,
    );
  }
}

/**
 * ControllerUnpublishVolume = detach. A volume or node that is gone, or a volume not attached to
 * the node, is already unpublished: success. An empty node_id detaches from every node, as the
 * spec allows.
 */
export async function unpublishVolume(
  context: ControllerContext,
  request: ControllerUnpublishVolumeRequest,
  options: OperationOptions,
): Promise<void> {
  // Detaching from one node holds that (volume, node) pair, like a multi-node publish; detaching
  // from every node holds the whole volume.
  const whole = lockKeys.volumeId(request.volumeId);
  const locks: LockSet =
    request.nodeId === ""
      ? { exclusive: [whole], shared: [] }
      : { exclusive: [lockKeys.volumeOnNode(request.volumeId, request.nodeId)], shared: [whole] };
  await context.locks.run("ControllerUnpublishVolume", locks, async () => {
    const volume = await context.cloud.getVolume(request.volumeId, options);
    if (volume === undefined) return;
    const targets = volume.attachments.filter(
      (a) => request.nodeId === "" || a.instanceId === request.nodeId,
    );
    for (const attachment of targets) {
      await context.cloud.detachVolume(volume.id, attachment.instanceId, {
        ...options,
        idempotencyKey: operationKey(context.driverName, "detach", `${volume.id}/${attachment.instanceId}`),
      });
    }
  });
}
