import { invalidArgument, outOfRange } from "../shared/errors.js";
import type { VolumeType } from "./block-storage.js";

export interface CapacityRequest {
  /** 0 means "not specified", as in CSI. */
  requiredBytes: bigint;
  /** 0 means "no limit", as in CSI. */
  limitBytes: bigint;
}

const GIB = 1024 ** 3;

/**
 * The size to create: the required size (or the tier minimum, or 1 GiB, when none is asked)
 * rounded up to the tier's granularity and raised to its minimum. OutOfRange when that size
 * breaks the limit or the tier maximum, since no volume can satisfy the request.
 */
export function chooseVolumeSize(request: CapacityRequest, tier: VolumeType): number {
  const { requiredBytes, limitBytes } = request;
  if (requiredBytes < 0n)
    throw invalidArgument(`capacity_range.required_bytes: ${requiredBytes} is negative`);
  if (limitBytes < 0n) throw invalidArgument(`capacity_range.limit_bytes: ${limitBytes} is negative`);
  if (limitBytes > 0n && requiredBytes > limitBytes) {
    throw outOfRange(
      `capacity_range: required_bytes ${requiredBytes} is larger than limit_bytes ${limitBytes}`,
    );
  }
  const max = BigInt(tier.maxSizeBytes);
  const wanted = requiredBytes > 0n ? requiredBytes : BigInt(Math.max(tier.minSizeBytes, GIB));
  const size = roundUp(wanted > BigInt(tier.minSizeBytes) ? wanted : BigInt(tier.minSizeBytes), tier);
  if (size > max) {
    throw outOfRange(
      `capacity_range: ${wanted} bytes rounds to ${size}, above the maximum ${max} of tier ${tier.name}`,
    );
  }
  if (limitBytes > 0n && size > limitBytes) {
    throw outOfRange(
      `capacity_range: limit_bytes ${limitBytes} is below the smallest size tier ${tier.name} can make (${size} bytes, granularity ${tier.sizeGranularityBytes})`,
    );
  }
  return Number(size);
}

/** Whether an existing volume of `sizeBytes` satisfies the request (CreateVolume idempotency). */
export function sizeSatisfies(sizeBytes: number, request: CapacityRequest): boolean {
  const size = BigInt(sizeBytes);
  if (size < request.requiredBytes) return false;
  return request.limitBytes === 0n || size <= request.limitBytes;
}

function roundUp(bytes: bigint, tier: VolumeType): bigint {
  const step = BigInt(Math.max(1, tier.sizeGranularityBytes));
  return ((bytes + step - 1n) / step) * step;
}
