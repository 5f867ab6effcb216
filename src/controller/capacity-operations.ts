import type { GetCapacityRequest, GetCapacityResponse } from "../generated/csi.js";
import { invalidArgument } from "../shared/errors.js";
import { unsupportedCapabilityReason } from "./access-modes.js";
import type { CallOptions } from "./block-storage.js";
import type { ControllerContext } from "./controller-context.js";
import { parseVolumeParameters } from "./storage-class-parameters.js";
import { capacityZone } from "./topology.js";
import { findVolumeType } from "./volume-type-rules.js";

/**
 * GetCapacity for one tier: in the zone of accessible_topology, or summed over every zone when
 * none is given. Capabilities the tier cannot serve have no capacity (0), as the spec asks.
 */
export async function getCapacity(
  context: ControllerContext,
  request: GetCapacityRequest,
  options: CallOptions,
): Promise<GetCapacityResponse> {
  const parameters = parseVolumeParameters(request.parameters);
  const types = await context.catalog.volumeTypes(options);
  const tier = findVolumeType("parameters.type", parameters.type ?? context.defaultVolumeType, types);
  const bounds = {
    maximumVolumeSize: BigInt(tier.maxSizeBytes),
    minimumVolumeSize: BigInt(tier.minSizeBytes),
  };
  const unsupported = request.volumeCapabilities.some(
    (c) => unsupportedCapabilityReason(c, tier) !== undefined,
  );
  if (unsupported) return { availableCapacity: 0n, ...bounds };
  const zones = await context.catalog.zoneNames(options);
  const zone = capacityZone(request.accessibleTopology);
  if (zone !== undefined && !zones.includes(zone)) {
    throw invalidArgument(`accessible_topology: zone ${zone} does not exist (known: ${zones.join(", ")})`);
  }
  const counted = zone === undefined ? zones : [zone];
  const available = await Promise.all(counted.map((z) => context.cloud.getCapacity(z, tier.name, options)));
  return { availableCapacity: available.reduce((sum, bytes) => sum + BigInt(bytes), 0n), ...bounds };
}
