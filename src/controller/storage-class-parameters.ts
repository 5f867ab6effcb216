import type { ProviderCapabilities, ProviderProfile } from "../providers/provider.js";
import { invalidArgument } from "../shared/errors.js";
import { DEFAULT_FS_TYPE, type FsType, parseFsType } from "../shared/filesystem-types.js";
import {
  checkedMkfsOptions,
  MKFS_OPTION_KEYS,
  type MkfsOptionKey,
  type MkfsOptions,
} from "../shared/mkfs-option-rules.js";
import { CAPABILITY_WORDS } from "./provider-support.js";
import { checkedTagKey, checkedTagValue } from "./tag-checks.js";
import { expandTagTemplate, type ProvisionerMetadata } from "./tag-templates.js";

/** Tag keys the driver writes itself; a StorageClass may not set them. */
export const MANAGED_BY_TAG = "ballast.dev/managed-by";
export const CSI_NAME_TAG = "ballast.dev/csi-name";
const RESERVED_TAG_PREFIX = "ballast.dev/";

const PVC_NAME_KEY = "csi.storage.k8s.io/pvc/name";
const PVC_NAMESPACE_KEY = "csi.storage.k8s.io/pvc/namespace";
const PV_NAME_KEY = "csi.storage.k8s.io/pv/name";
export const FS_TYPE_KEY = "csi.storage.k8s.io/fstype";
const TAG_KEY = /^tagSpecification_([0-9]+)$/;

/**
 * Secret references are consumed by the CSI sidecars; if one reaches the driver (a sidecar that
 * does not strip them) it carries nothing for us, so it is ignored rather than refused.
 */
const SECRET_REFERENCE_KEY =
  /^csi\.storage\.k8s\.io\/(provisioner|controller-publish|controller-expand|node-stage|node-publish|node-expand)-secret-(name|namespace)$/;

/** The StorageClass parameters, validated; tier-dependent checks happen in `applyVolumeType`. */
export interface VolumeParameters {
  type?: string | undefined;
  iops?: number | undefined;
  throughput?: number | undefined;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  /** From `csi.storage.k8s.io/fstype` when the CO passed it through; the capability wins otherwise. */
  fsType?: FsType | undefined;
  mkfsOptions: Partial<Record<MkfsOptionKey, string>>;
  tags: Record<string, string>;
  /** The parameter each tag came from (`parameters.tagSpecification_<n>`), for messages naming it. */
  tagFields: Record<string, string>;
  metadata: ProvisionerMetadata;
}

/** The mutable subset (VolumeAttributesClass / ControllerModifyVolume). */
export interface MutableParameters {
  type?: string | undefined;
  iops?: number | undefined;
  throughput?: number | undefined;
}

const MUTABLE_KEYS = ["type", "iops", "throughput"] as const;

/**
 * Parses CreateVolume / GetCapacity parameters. Unknown keys are an InvalidArgument naming the
 * key: a misspelt parameter silently ignored is a volume that is not what its owner asked for.
 */
export function parseVolumeParameters(parameters: Record<string, string>): VolumeParameters {
  const result: VolumeParameters = {
    encrypted: false,
    mkfsOptions: {},
    tags: {},
    tagFields: {},
    metadata: {},
  };
  const tagTemplates: Array<[number, string]> = [];
  for (const [key, value] of Object.entries(parameters)) {
    const field = `parameters.${key}`;
    if (key === "type") result.type = parseNonEmpty(field, value);
    else if (key === "iops") result.iops = parsePositiveInteger(field, value);
    else if (key === "throughput") result.throughput = parsePositiveInteger(field, value);
    else if (key === "encrypted") result.encrypted = parseBoolean(field, value);
    else if (key === "kmsKeyId") result.kmsKeyId = parseNonEmpty(field, value);
    else if (key === FS_TYPE_KEY) result.fsType = parseFsType(field, value);
    else if ((MKFS_OPTION_KEYS as readonly string[]).includes(key)) {
      result.mkfsOptions[key as MkfsOptionKey] = value;
    } else if (key === PVC_NAME_KEY) result.metadata.pvcName = value;
    else if (key === PVC_NAMESPACE_KEY) result.metadata.pvcNamespace = value;
    else if (key === PV_NAME_KEY) result.metadata.pvName = value;
    else if (SECRET_REFERENCE_KEY.test(key)) continue;
    else {
      const index = TAG_KEY.exec(key)?.[1];
      if (index === undefined) throw invalidArgument(`${field}: unknown parameter`);
      tagTemplates.push([Number(index), value]);
    }
  }
  if (result.kmsKeyId !== undefined && !result.encrypted) {
    throw invalidArgument(`parameters.kmsKeyId: "${result.kmsKeyId}" needs encrypted "true"`);
  }
  tagTemplates.sort((a, b) => a[0] - b[0]);
  for (const [index, spec] of tagTemplates) {
    const field = `parameters.tagSpecification_${index}`;
    const [key, value] = parseTag(field, spec, result.metadata);
    result.tags[key] = value;
    result.tagFields[key] = field;
  }
  return result;
}

/** Parses `mutable_parameters`; only type, iops and throughput may change after creation. */
export function parseMutableParameters(parameters: Record<string, string>): MutableParameters {
  const result: MutableParameters = {};
  for (const [key, value] of Object.entries(parameters)) {
    const field = `mutable_parameters.${key}`;
    if (!(MUTABLE_KEYS as readonly string[]).includes(key)) {
      throw invalidArgument(`${field}: not a mutable parameter (${MUTABLE_KEYS.join(", ")})`);
    }
    if (key === "type") result.type = parseNonEmpty(field, value);
    else if (key === "iops") result.iops = parsePositiveInteger(field, value);
    else result.throughput = parsePositiveInteger(field, value);
  }
  return result;
}

/** The capability each provider-dependent StorageClass / VolumeAttributesClass key needs. */
const PARAMETER_CAPABILITY: Readonly<Record<string, keyof ProviderCapabilities>> = {
  type: "tiers",
  iops: "tiers",
  throughput: "tiers",
  encrypted: "encryption",
  kmsKeyId: "encryption",
};

/**
 * Refuses a parameter the provider cannot honour, naming it, its value and the provider: a volume
 * made without it would not be what the StorageClass says. `encrypted: "false"` asks for nothing
 * and passes.
 */
export function refuseUnsupportedParameters(
  provider: ProviderProfile,
  field: string,
  parameters: Readonly<Record<string, string>>,
): void {
  for (const [key, value] of Object.entries(parameters)) {
    const capability = PARAMETER_CAPABILITY[key];
    if (capability === undefined || provider.capabilities[capability]) continue;
    if (key === "encrypted" && value.toLowerCase() === "false") continue;
    throw invalidArgument(
      `${field}.${key}: "${value}" cannot be honoured: provider ${provider.name} does not support ${CAPABILITY_WORDS[capability]}`,
    );
  }
}

/**
 * The filesystem the node will make: the capability's fsType wins, then the StorageClass's, then
 * ext4. A StorageClass fsType that contradicts the capability is refused.
 */
export function resolveFsType(
  capabilityFsType: string | undefined,
  parameters: VolumeParameters,
): { fsType: FsType; mkfsOptions: MkfsOptions } {
  let fsType = parameters.fsType ?? DEFAULT_FS_TYPE;
  if (capabilityFsType !== undefined && capabilityFsType !== "") {
    fsType = parseFsType("volume_capabilities.mount.fs_type", capabilityFsType);
    if (parameters.fsType !== undefined && parameters.fsType !== fsType) {
      throw invalidArgument(
        `parameters.csi.storage.k8s.io/fstype: "${parameters.fsType}" contradicts volume capability fs_type "${fsType}"`,
      );
    }
  }
  return { fsType, mkfsOptions: checkedMkfsOptions("parameters", parameters.mkfsOptions, fsType) };
}

function parseTag(field: string, spec: string, metadata: ProvisionerMetadata): [string, string] {
  const separator = spec.indexOf("=");
  const key = spec.slice(0, Math.max(separator, 0)).trim();
  if (key === "") throw invalidArgument(`${field}: ${JSON.stringify(spec)} is not key=value`);
  checkedTagKey(field, key);
  if (key.startsWith(RESERVED_TAG_PREFIX)) {
    throw invalidArgument(`${field}: tag key "${key}" is reserved for the driver`);
  }
  return [key, checkedTagValue(field, key, expandTagTemplate(field, spec.slice(separator + 1), metadata))];
}

function parseNonEmpty(field: string, value: string): string {
  if (value.trim() === "") throw invalidArgument(`${field}: must not be empty`);
  return value.trim();
}

function parsePositiveInteger(field: string, value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw invalidArgument(`${field}: "${value}" is not a positive integer`);
  }
  return Number(value);
}

function parseBoolean(field: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  throw invalidArgument(`${field}: "${value}" is not true or false`);
}
