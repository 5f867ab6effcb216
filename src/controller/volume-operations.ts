import type {
  ControllerExpandVolumeRequest,
  ControllerExpandVolumeResponse,
  ControllerGetVolumeResponse,
  ControllerModifyVolumeRequest,
  DeleteVolumeRequest,
  ListVolumesRequest,
  ListVolumesResponse,
  ValidateVolumeCapabilitiesRequest,
  ValidateVolumeCapabilitiesResponse,
  VolumeCapability,
} from "../generated/csi.js";
import type { ProviderProfile } from "../providers/provider.js";
import {
  aborted,
  BallastError,
  failedPrecondition,
  invalidArgument,
  notFound,
  outOfRange,
} from "../shared/errors.js";
import { unsupportedCapabilityReason } from "./access-modes.js";
import type { OperationOptions, Volume, VolumeType } from "./block-storage.js";
import { chooseVolumeSize } from "./capacity-range.js";
import { type ControllerContext, lockKeys } from "./controller-context.js";
import { publishedNodeIds, toCsiVolume, volumeCondition } from "./csi-mapping.js";
import { operationKey } from "./idempotency-keys.js";
import { parameterMismatch } from "./parameter-mismatch.js";
import {
  MANAGED_BY_TAG,
  parseMutableParameters,
  refuseUnsupportedParameters,
} from "./storage-class-parameters.js";
import { checkPerformance, findVolumeType } from "./volume-type-rules.js";

/** The most entries one list call asks the cloud for (the contract's page limit). */
const MAX_PAGE = 1000;

async function requireVolume(
  context: ControllerContext,
  id: string,
  options: OperationOptions,
): Promise<Volume> {
  const volume = await context.cloud.getVolume(id, options);
  if (volume === undefined) throw notFound(`volume_id: volume ${id} does not exist`);
  return volume;
}

/**
 * DeleteVolume. A volume already gone is success. A volume still attached is refused with
 * FailedPrecondition naming the nodes rather than detached behind the CO's back: the CO
 * unpublishes first, and an attachment here means something still uses the data. Snapshots do
 * not block deletion: they are independent copies in the cloud.
 */
export async function deleteVolume(
  context: ControllerContext,
  request: DeleteVolumeRequest,
  options: OperationOptions,
): Promise<void> {
  await context.locks.run("DeleteVolume", [lockKeys.volumeId(request.volumeId)], async () => {
    const volume = await context.cloud.getVolume(request.volumeId, options);
    if (volume === undefined) return;
    if (volume.attachments.length > 0) {
      const nodes = volume.attachments.map((a) => `${a.instanceId} (${a.state})`).join(", ");
      throw failedPrecondition(`volume ${volume.id} is still attached to ${nodes}; unpublish it first`);
    }
    await context.cloud.deleteVolume(volume.id, options);
  });
}

/**
 * ControllerExpandVolume: grow to the requested size rounded to the tier's granularity. Asking for
 * what the volume already has is success, so retries are harmless; shrinking is never done. A
 * capability the volume cannot serve is refused as CreateVolume and ControllerPublishVolume refuse
 * it, even when nothing needs to grow: the spec's "exceeds capabilities".
 */
export async function expandVolume(
  context: ControllerContext,
  request: ControllerExpandVolumeRequest,
  options: OperationOptions,
): Promise<ControllerExpandVolumeResponse> {
  const range = request.capacityRange;
  if (range === undefined) throw invalidArgument("capacity_range: is required");
  const capability = request.volumeCapability;
  if (capability !== undefined) refuseCapability(capability, context.provider);
  const nodeExpansionRequired = capability?.accessType?.$case !== "block";
  return context.locks.run("ControllerExpandVolume", [lockKeys.volumeId(request.volumeId)], async () => {
    const volume = await requireVolume(context, request.volumeId, options);
    const tier = findVolumeType("volume type", volume.type, await context.catalog.volumeTypes(options));
    if (capability !== undefined) refuseCapability(capability, context.provider, tier);
    if (range.limitBytes > 0n && range.limitBytes < BigInt(volume.sizeBytes)) {
      throw outOfRange(
        `capacity_range.limit_bytes: ${range.limitBytes} is below the volume's current ${volume.sizeBytes} bytes; volumes never shrink`,
      );
    }
    if (range.requiredBytes <= BigInt(volume.sizeBytes)) {
      return { capacityBytes: BigInt(volume.sizeBytes), nodeExpansionRequired };
    }
    const sizeBytes = chooseVolumeSize(range, tier);
    const resized = await context.cloud.resizeVolume(volume.id, sizeBytes, {
      ...options,
      idempotencyKey: operationKey(context.driverName, "resize", volume.id),
    });
    return { capacityBytes: BigInt(resized.sizeBytes), nodeExpansionRequired };
  });
}

/** What the provider alone refuses is known before any read; the tier's part once it is read. */
function refuseCapability(
  capability: VolumeCapability,
  provider: ProviderProfile,
  tier?: VolumeType | undefined,
): void {
  const reason = unsupportedCapabilityReason(capability, provider, tier);
  if (reason !== undefined) throw invalidArgument(`volume_capability: ${reason}`);
}

/**
 * ControllerModifyVolume: type, iops and throughput, all validated against the target tier (its
 * bounds, the volume's size, the nodes it is attached to) before any change, so an invalid request
 * leaves the volume untouched (the spec requires it). No parameters at all is success once the
 * volume is found.
 */
export async function modifyVolume(
  context: ControllerContext,
  request: ControllerModifyVolumeRequest,
  options: OperationOptions,
): Promise<void> {
  refuseUnsupportedParameters(context.provider, "mutable_parameters", request.mutableParameters);
  const mutable = parseMutableParameters(request.mutableParameters);
  await context.locks.run("ControllerModifyVolume", [lockKeys.volumeId(request.volumeId)], async () => {
    const volume = await requireVolume(context, request.volumeId, options);
    // proto3 cannot tell an empty map from an absent one: no parameters is nothing to change.
    if (Object.keys(mutable).length === 0) return;
    const types = await context.catalog.volumeTypes(options);
    const tier = findVolumeType("mutable_parameters.type", mutable.type ?? volume.type, types);
    checkPerformance("mutable_parameters", tier, mutable);
    if (volume.sizeBytes > tier.maxSizeBytes || volume.sizeBytes < tier.minSizeBytes) {
      throw invalidArgument(
        `mutable_parameters.type: volume ${volume.id} of ${volume.sizeBytes} bytes does not fit tier ${tier.name} (${tier.minSizeBytes}..${tier.maxSizeBytes})`,
      );
    }
    // The cloud would refuse it too, but as a conflict, which the resizer retries for ever.
    if (!tier.multiAttach && volume.attachments.length > 1) {
      const nodes = volume.attachments.map((a) => a.instanceId).join(", ");
      throw invalidArgument(
        `mutable_parameters.type: tier ${tier.name} attaches to one node and volume ${volume.id} is attached to ${nodes}; unpublish it from all but one first`,
      );
    }
    const unchanged =
      tier.name === volume.type &&
      (mutable.iops === undefined || mutable.iops === volume.iops) &&
      (mutable.throughput === undefined || mutable.throughput === volume.throughput);
    if (unchanged) return;
    await context.cloud.modifyVolume(
      volume.id,
      { type: mutable.type, iops: mutable.iops, throughput: mutable.throughput },
      { ...options, idempotencyKey: operationKey(context.driverName, "modify", volume.id) },
    );
  });
}

export async function getVolume(
  context: ControllerContext,
  volumeId: string,
  options: OperationOptions,
): Promise<ControllerGetVolumeResponse> {
  const volume = await requireVolume(context, volumeId, options);
  return {
    volume: toCsiVolume(volume),
    status: { publishedNodeIds: publishedNodeIds(volume), volumeCondition: volumeCondition(volume) },
  };
}

/** ListVolumes over the driver's own volumes; the cloud's page token is the CSI token. */
export async function listVolumes(
  context: ControllerContext,
  request: ListVolumesRequest,
  options: OperationOptions,
): Promise<ListVolumesResponse> {
  if (request.maxEntries < 0) throw invalidArgument(`max_entries: ${request.maxEntries} is negative`);
  const page = await withTokenCheck(request.startingToken, () =>
    context.cloud.listVolumes(
      {
        limit: request.maxEntries === 0 ? undefined : Math.min(request.maxEntries, MAX_PAGE),
        pageToken: request.startingToken === "" ? undefined : request.startingToken,
        tags: { [MANAGED_BY_TAG]: context.driverName },
      },
      options,
    ),
  );
  return {
    entries: page.items.map((volume) => ({
      volume: toCsiVolume(volume),
      status: { publishedNodeIds: publishedNodeIds(volume), volumeCondition: volumeCondition(volume) },
    })),
    nextToken: page.nextPageToken ?? "",
  };
}

/**
 * Runs a paged list; a token the cloud refuses is the CSI "invalid starting_token" (Aborted), so
 * the CO restarts the listing instead of failing it.
 */
export async function withTokenCheck<T>(token: string, list: () => Promise<T>): Promise<T> {
  try {
    return await list();
  } catch (error) {
    if (token !== "" && error instanceof BallastError && error.kind === "InvalidArgument") {
      throw aborted(`starting_token: "${token}" is not valid (${error.message})`);
    }
    throw error;
  }
}

/**
 * ValidateVolumeCapabilities: confirmed only when every capability is supported for the volume's
 * tier and every parameter describes the volume; otherwise a message saying which one does not
 * (not an error, as the spec asks).
 */
export async function validateVolumeCapabilities(
  context: ControllerContext,
  request: ValidateVolumeCapabilitiesRequest,
  options: OperationOptions,
): Promise<ValidateVolumeCapabilitiesResponse> {
  const volume = await requireVolume(context, request.volumeId, options);
  const tier = findVolumeType("volume type", volume.type, await context.catalog.volumeTypes(options));
  for (const [index, capability] of request.volumeCapabilities.entries()) {
    const reason = unsupportedCapabilityReason(capability, context.provider, tier);
    if (reason !== undefined)
      return { confirmed: undefined, message: `volume_capabilities[${index}]: ${reason}` };
  }
  const mismatch = parameterMismatch(request, volume, context.provider);
  if (mismatch !== undefined) return { confirmed: undefined, message: mismatch };
  return {
    confirmed: {
      volumeContext: request.volumeContext,
      volumeCapabilities: request.volumeCapabilities,
      parameters: request.parameters,
      mutableParameters: request.mutableParameters,
    },
    message: "",
  };
}
