import type { ValidateVolumeCapabilitiesRequest } from "../generated/csi.js";
import type { ProviderProfile } from "../providers/provider.js";
import { BallastError } from "../shared/errors.js";
import { parseFsType } from "../shared/filesystem-types.js";
import { MKFS_OPTION_KEYS, type MkfsOptions, mkfsOptionsToContext } from "../shared/mkfs-option-rules.js";
import { VOLUME_CONTEXT_KEYS } from "../shared/volume-context-keys.js";
import { checkMountFlags, requestedFsType } from "./access-modes.js";
import type { Volume } from "./block-storage.js";
import {
  FS_TYPE_KEY,
  type MutableParameters,
  parseMutableParameters,
  parseVolumeParameters,
  refuseUnsupportedParameters,
  resolveFsType,
  type VolumeParameters,
} from "./storage-class-parameters.js";

/**
 * Why the request's `parameters` / `mutable_parameters` do not describe this volume, or undefined
 * when they do: `confirmed` echoes them as validated, so every one must be. They pass CreateVolume's
 * own checks first (unknown keys, malformed values, keys the provider cannot honour, mount flags the
 * node refuses for the filesystem), so a map CreateVolume refuses is never confirmed. Then each is
 * compared with what records it: the cloud's volume for tier, performance, encryption and tags; the
 * volume context for the filesystem and mkfs options, which the cloud never sees.
 */
export function parameterMismatch(
  request: ValidateVolumeCapabilitiesRequest,
  volume: Volume,
  provider: ProviderProfile,
): string | undefined {
  try {
    refuseUnsupportedParameters(provider, "parameters", request.parameters);
    refuseUnsupportedParameters(provider, "mutable_parameters", request.mutableParameters);
    const parameters = parseVolumeParameters(request.parameters);
    const mutable = parseMutableParameters(request.mutableParameters);
    const contextFsType = request.volumeContext[VOLUME_CONTEXT_KEYS.fsType];
    const { fsType, mkfsOptions } = resolveFsType(
      requestedFsType("volume_capabilities", request.volumeCapabilities),
      {
        ...parameters,
        fsType:
          parameters.fsType ??
          (contextFsType ? parseFsType("volume_context.fsType", contextFsType) : undefined),
      },
    );
    checkMountFlags("volume_capabilities", request.volumeCapabilities, fsType);
    return (
      cloudMismatch(request, parameters, mutable, volume) ??
      contextMismatch(request.volumeContext, parameters, mkfsOptions, volume)
    );
  } catch (error) {
    if (error instanceof BallastError && error.kind === "InvalidArgument") return error.message;
    throw error;
  }
}

/** A value asked for and the field it came from; a mutable parameter overrides its counterpart. */
function asked(
  key: keyof MutableParameters,
  parameters: VolumeParameters,
  mutable: MutableParameters,
): { field: string; value: string | number } | undefined {
  const fromMutable = mutable[key];
  if (fromMutable !== undefined) return { field: `mutable_parameters.${key}`, value: fromMutable };
  const fromParameters = parameters[key];
  return fromParameters === undefined ? undefined : { field: `parameters.${key}`, value: fromParameters };
}

const PERFORMANCE = [
  { key: "iops", unit: "IOPS", what: "IOPS" },
  { key: "throughput", unit: "MiB/s", what: "throughput" },
] as const;

function cloudMismatch(
  request: ValidateVolumeCapabilitiesRequest,
  parameters: VolumeParameters,
  mutable: MutableParameters,
  volume: Volume,
): string | undefined {
  const id = volume.id;
  const type = asked("type", parameters, mutable);
  if (type !== undefined && type.value !== volume.type) {
    return `${type.field}: volume ${id} is of type ${volume.type}, not ${type.value}`;
  }
  for (const { key, unit, what } of PERFORMANCE) {
    const wanted = asked(key, parameters, mutable);
    const has = volume[key];
    if (wanted === undefined || wanted.value === has) continue;
    const described = has === undefined ? `the fixed ${what} of tier ${volume.type}` : `${has} ${unit}`;
    return `${wanted.field}: volume ${id} has ${described}, not ${wanted.value}`;
  }
  const encrypted = request.parameters.encrypted;
  // A copy of an encrypted source is encrypted whatever `encrypted` says, and CreateVolume accepts
  // it as such; only a volume made from nothing contradicts "false".
  const copied = volume.sourceSnapshotId !== undefined || volume.sourceVolumeId !== undefined;
  if (
    encrypted !== undefined &&
    parameters.encrypted !== volume.encrypted &&
    (parameters.encrypted || !copied)
  ) {
    return `parameters.encrypted: volume ${id} has encrypted ${volume.encrypted}, not "${encrypted}"`;
  }
  if (parameters.kmsKeyId !== undefined && parameters.kmsKeyId !== volume.kmsKeyId) {
    const key = volume.kmsKeyId === undefined ? "no kmsKeyId" : `key "${volume.kmsKeyId}"`;
    return `parameters.kmsKeyId: volume ${id} has ${key}, not "${parameters.kmsKeyId}"`;
  }
  for (const [key, value] of Object.entries(parameters.tags)) {
    const has = volume.tags[key];
    if (has === value) continue;
    const tag = has === undefined ? `no tag "${key}"` : `tag "${key}" = "${has}"`;
    return `${parameters.tagFields[key]}: volume ${id} has ${tag}, not "${value}"`;
  }
  return undefined;
}

/**
 * The filesystem and mkfs options are in the volume context CreateVolume answered (the node formats
 * by it), not in the cloud: they are compared with the request's volume context, which the spec
 * says MUST be the volume's, and cannot be checked without one.
 */
function contextMismatch(
  volumeContext: Readonly<Record<string, string>>,
  parameters: VolumeParameters,
  mkfsOptions: MkfsOptions,
  volume: Volume,
): string | undefined {
  const expected: Array<{ field: string; key: string; value: string }> = [];
  if (parameters.fsType !== undefined) {
    expected.push({
      field: `parameters.${FS_TYPE_KEY}`,
      key: VOLUME_CONTEXT_KEYS.fsType,
      value: parameters.fsType,
    });
  }
  const mkfs = mkfsOptionsToContext(mkfsOptions);
  for (const key of MKFS_OPTION_KEYS) {
    const value = mkfs[key];
    if (value !== undefined) expected.push({ field: `parameters.${key}`, key, value });
  }
  const noContext = Object.keys(volumeContext).length === 0;
  for (const { field, key, value } of expected) {
    if (noContext) {
      return `${field}: "${value}" cannot be checked: the cloud does not record it and the request has no volume_context`;
    }
    const has = volumeContext[key];
    if (has === value) continue;
    const described = has === undefined ? `no ${key}` : `${key} ${has}`;
    return `${field}: volume ${volume.id}'s context has ${described}, not ${value}`;
  }
  return undefined;
}
