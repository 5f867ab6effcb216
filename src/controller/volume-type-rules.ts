import type { ProviderProfile } from "../providers/provider.js";
import { internal, invalidArgument } from "../shared/errors.js";
import type { Bounds, VolumeType } from "./block-storage.js";

/** Finds the tier by name; an unknown tier is an InvalidArgument listing the known ones. */
export function findVolumeType(field: string, name: string, types: VolumeType[]): VolumeType {
  const found = types.find((type) => type.name === name);
  if (found === undefined) {
    throw invalidArgument(
      `${field}: "${name}" is not a volume type (${types.map((t) => t.name).join(", ")})`,
    );
  }
  return found;
}

/**
 * The tier a new volume gets: the one named, or, for a provider without tiers (whose `type`
 * parameter was refused already), the one kind of volume its cloud makes, whatever
 * `--default-volume-type` says.
 */
export function chooseVolumeType(
  provider: ProviderProfile,
  field: string,
  name: string,
  types: VolumeType[],
): VolumeType {
  if (provider.capabilities.tiers) return findVolumeType(field, name, types);
  const only = types[0];
  if (only === undefined) throw internal(`provider ${provider.name} reported no volume type`);
  return only;
}

/**
 * The IOPS and throughput to ask for, checked against the tier's bounds. A value on a tier where
 * it is fixed is refused, not dropped, so the StorageClass says what the volume really gets.
 */
export function checkPerformance(
  fieldPrefix: string,
  tier: VolumeType,
  wanted: { iops?: number | undefined; throughput?: number | undefined },
): { iops?: number | undefined; throughput?: number | undefined } {
  return {
    iops: checkBound(`${fieldPrefix}.iops`, "IOPS", tier, tier.iops, wanted.iops),
    throughput: checkBound(
      `${fieldPrefix}.throughput`,
      "throughput (MiB/s)",
      tier,
      tier.throughput,
      wanted.throughput,
    ),
  };
}

function checkBound(
  field: string,
  what: string,
  tier: VolumeType,
  bounds: Bounds | undefined,
  value: number | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  if (bounds === undefined)
    throw invalidArgument(`${field}: ${what} of tier ${tier.name} is fixed and cannot be set`);
  if (value < bounds.min || value > bounds.max) {
    throw invalidArgument(`${field}: ${value} is outside ${bounds.min}..${bounds.max} for tier ${tier.name}`);
  }
  return value;
}
