import type {
  ControllerPublishVolumeRequest,
  ControllerPublishVolumeResponse,
  ControllerUnpublishVolumeRequest,
} from "../generated/csi.js";
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  resourceExhausted,
} from "../shared/errors.js";
import { isMultiNode, unsupportedCapabilityReason } from "./access-modes.js";
import type { Attachment, CallOptions } from "./block-storage.js";
import { type ControllerContext, lockKeys } from "./controller-context.js";
import { operationKey } from "./idempotency-keys.js";
import { findVolumeType } from "./volume-type-rules.js";

function publishContext(attachment: Attachment): Record<string, string> {
  return { serial: attachment.serial, byIdPath: attachment.byIdPath };
}

/**
 * ControllerPublishVolume = attach to the node's instance. Already attached there → the same
 * publish context. Attached elsewhere in a single-node mode → FailedPrecondition naming the node.
 * A full node → ResourceExhausted before asking the cloud (the cloud enforces it too).
 */
export async function publishVolume(
  context: ControllerContext,
  request: ControllerPublishVolumeRequest,
  options: CallOptions,
): Promise<ControllerPublishVolumeResponse> {
  const capability = request.volumeCapability;
  if (capability === undefined) throw invalidArgument("volume_capability: is required");
  return context.locks.run("ControllerPublishVolume", [lockKeys.volumeId(request.volumeId)], async () => {
    const volume = await context.cloud.getVolume(request.volumeId, options);
    if (volume === undefined) throw notFound(`volume_id: volume ${request.volumeId} does not exist`);
    const instance = await context.cloud.getInstance(request.nodeId, options);
    if (instance === undefined) throw notFound(`node_id: node ${request.nodeId} does not exist`);
    const tier = findVolumeType("volume type", volume.type, await context.catalog.volumeTypes(options));
    const reason = unsupportedCapabilityReason(capability, tier);
    if (reason !== undefined) throw invalidArgument(`volume_capability: ${reason}`);
    const mode = capability.accessMode?.mode;
    const multiNode = mode !== undefined && isMultiNode(mode);
    if (multiNode && !request.readonly) {
      throw invalidArgument("readonly: MULTI_NODE_READER_ONLY volumes are published read-only");
    }

    const here = volume.attachments.find((a) => a.instanceId === instance.id && a.state === "attached");
    if (here !== undefined) {
      if (here.readOnly !== request.readonly) {
        throw alreadyExists(
          `volume ${volume.id} is already published to node ${instance.id} with readonly ${here.readOnly}`,
        );
      }
      return { publishContext: publishContext(here) };
    }
    const elsewhere = volume.attachments.filter((a) => a.instanceId !== instance.id);
    if (elsewhere.length > 0 && !multiNode) {
      throw failedPrecondition(
        `volume ${volume.id} is published to node ${elsewhere.map((a) => a.instanceId).join(", ")}; its access mode allows one node`,
      );
    }
    if (volume.zone !== instance.zone) {
      throw failedPrecondition(
        `volume ${volume.id} is in zone ${volume.zone} and node ${instance.id} in zone ${instance.zone}`,
      );
    }
    const attachedHere = volume.attachments.some((a) => a.instanceId === instance.id);
    if (!attachedHere && instance.attachedVolumeIds.length >= instance.maxAttachedVolumes) {
      throw resourceExhausted(
        `node ${instance.id} already has ${instance.attachedVolumeIds.length} of ${instance.maxAttachedVolumes} volumes attached`,
      );
    }
    const attachment = await context.cloud.attachVolume(volume.id, instance.id, request.readonly, {
      ...options,
      idempotencyKey: operationKey(context.driverName, "attach", `${volume.id}/${instance.id}`),
    });
    return { publishContext: publishContext(attachment) };
  });
}

/**
 * ControllerUnpublishVolume = detach. A volume or node that is gone, or a volume not attached to
 * the node, is already unpublished: success. An empty node_id detaches from every node, as the
 * spec allows.
 */
export async function unpublishVolume(
  context: ControllerContext,
  request: ControllerUnpublishVolumeRequest,
  options: CallOptions,
): Promise<void> {
  await context.locks.run("ControllerUnpublishVolume", [lockKeys.volumeId(request.volumeId)], async () => {
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
