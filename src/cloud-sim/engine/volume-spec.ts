import type { VolumeType } from "../config.js";
import { problem } from "../problems.js";
import type { VolumeSpec } from "../state.js";
import type { Schemas } from "./engine-types.js";

/* The checks a volume's size and performance get against its type, and the normalised spec a
   create is compared with when it is retried under the same name. */

export const GiB = 1024 ** 3;

export type Performance = { iops?: number; throughputMiBps?: number };

/** The IOPS and throughput a volume gets: the type's defaults unless given, within its bounds. */
export function performance(
  type: VolumeType,
  iops: number | undefined,
  throughputMiBps: number | undefined,
): Performance {
  const pick = (field: string, value: number | undefined, bounds: Schemas["IntegerBounds"] | undefined) => {
    if (bounds === undefined) {
      if (value !== undefined) {
        throw problem(
          "invalid_argument",
          `${field}: type ${type.name} has fixed ${field}; ${value} cannot be set`,
        );
      }
      return undefined;
    }
    const chosen = value ?? bounds.default;
    if (chosen < bounds.min || chosen > bounds.max) {
      throw problem(
        "out_of_range",
        `${field}: ${chosen} is outside ${bounds.min}..${bounds.max} of type ${type.name}`,
      );
    }
    return chosen;
  };
  const chosenIops = pick("iops", iops, type.iops);
  const chosenThroughput = pick("throughputMiBps", throughputMiBps, type.throughputMiBps);
  return {
    ...(chosenIops === undefined ? {} : { iops: chosenIops }),
    ...(chosenThroughput === undefined ? {} : { throughputMiBps: chosenThroughput }),
  };
}

export function checkSizeBounds(type: VolumeType, sizeBytes: number): void {
  if (sizeBytes < type.minSizeBytes || sizeBytes > type.maxSizeBytes) {
    throw problem(
      "out_of_range",
      `sizeBytes: ${sizeBytes} is outside ${type.minSizeBytes}..${type.maxSizeBytes} of type ${type.name}`,
    );
  }
}

/** The size a resize asks for, in bytes, from exactly one of its two size fields. */
export function requestedSize(request: Schemas["ResizeVolumeRequest"]): number {
  if (request.sizeBytes !== undefined && request.sizeGiB !== undefined) {
    throw problem("invalid_argument", "sizeBytes and sizeGiB: give one of them, not both");
  }
  const size = request.sizeGiB !== undefined ? request.sizeGiB * GiB : request.sizeBytes;
  if (size === undefined) throw problem("invalid_argument", "sizeBytes: required (or sizeGiB)");
  return size;
}

export function roundUp(value: number, granularity: number): number {
  return Math.ceil(value / granularity) * granularity;
}

/** What a create asked for, normalised (sizes rounded, defaults applied), to compare retries with. */
export function requestedSpec(
  request: Schemas["CreateVolumeRequest"],
  requestedBytes: number | undefined,
  type: VolumeType,
  chosen: Performance,
): VolumeSpec {
  return {
    ...(requestedBytes === undefined
      ? {}
      : { sizeBytes: roundUp(requestedBytes, type.sizeGranularityBytes) }),
    zone: request.zone,
    type: type.name,
    ...chosen,
    encrypted: request.encrypted === true,
    ...(request.kmsKeyId === undefined ? {} : { kmsKeyId: request.kmsKeyId }),
    tags: request.tags ?? {},
    ...(request.sourceSnapshotId === undefined ? {} : { sourceSnapshotId: request.sourceSnapshotId }),
    ...(request.sourceVolumeId === undefined ? {} : { sourceVolumeId: request.sourceVolumeId }),
  };
}

export function sameSpec(a: VolumeSpec, b: VolumeSpec): boolean {
  return (
    a.sizeBytes === b.sizeBytes &&
    a.zone === b.zone &&
    a.type === b.type &&
    a.iops === b.iops &&
    a.throughputMiBps === b.throughputMiBps &&
    a.encrypted === b.encrypted &&
    a.kmsKeyId === b.kmsKeyId &&
    a.sourceSnapshotId === b.sourceSnapshotId &&
    a.sourceVolumeId === b.sourceVolumeId &&
    sameTags(a.tags, b.tags)
  );
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
