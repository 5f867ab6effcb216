import type { GetCapacityRequest, GetCapacityResponse } from "../generated/csi.js";
import { invalidArgument } from "../shared/errors.js";
import { unsupportedCapabilityReason } from "./access-modes.js";
import type { OperationOptions, PoolCapacity } from "./block-storage.js";
import type { ControllerContext } from "./controller-context.js";
import { parseVolumeParameters, refuseUnsupportedParameters } from "./storage-class-parameters.js";
import { capacityZone } from "./topology.js";
import { chooseVolumeType } from "./volume-type-rules.js";

/**
 * GetCapacity for one tier: in the zone of accessible_topology, or summed over every zone when
 * none is given. Capabilities the tier cannot serve have no capacity (0, and no volume size), as
 * the spec asks.
 */
export async function getCapacity(
  context: ControllerContext,
  request: GetCapacityRequest,
  options: OperationOptions,
): Promise<GetCapacityResponse> {
  refuseUnsupportedParameters(context.provider, "parameters", request.parameters);
  const parameters = parseVolumeParameters(request.parameters);
  const types = await context.catalog.volumeTypes(options);
  const tier = chooseVolumeType(
    context.provider,
    "parameters.type",
    parameters.type ?? context.defaultVolumeType,
    types,
  );
  const minimumVolumeSize = BigInt(tier.minSizeBytes);
  const unsupported = request.volumeCapabilities.some(
    (c) => unsupportedCapabilityReason(c, context.provider, tier) !== undefined,
  );
  if (unsupported) return { availableCapacity: 0n, maximumVolumeSize: 0n, minimumVolumeSize };
  const zones = await context.catalog.zoneList(options);
  const zone = capacityZone(request.accessibleTopology);
  if (zone !== undefined && !zones.some((z) => z.name === zone)) {
    const known = zones.map((z) => z.name).join(", ");
    throw invalidArgument(`accessible_topology: zone ${zone} does not exist (known: ${known})`);
  }
  // A zone that accepts no new volumes has no capacity for them, whatever room its pools have.
  const counted = zones.filter((z) => z.available && (zone === undefined || z.name === zone));
  const pools = await Promise.all(counted.map((z) => context.cloud.getCapacity(z.name, tier.name, options)));
  return {
    availableCapacity: pools.reduce((sum, pool) => sum + BigInt(pool.availableBytes), 0n),
    maximumVolumeSize: largestVolume(pools, tier.maxSizeBytes),
    minimumVolumeSize,
  };
}

/**
 * The largest volume one create can get: the tier's maximum, lowered to what the pool with the most
 * room can take now. Kubernetes' scheduler checks a claim against maximum_volume_size instead of
 * available_capacity when it is set, so the tier maximum alone would send pods to full zones.
 */
function largestVolume(pools: PoolCapacity[], tierMaxBytes: number): bigint {
  const largest = Math.max(0, ...pools.map((pool) => pool.maximumVolumeSizeBytes ?? tierMaxBytes));
  return BigInt(Math.min(largest, tierMaxBytes));
}
