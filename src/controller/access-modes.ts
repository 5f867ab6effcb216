import { VolumeCapability_AccessMode_Mode as Mode, type VolumeCapability } from "../generated/csi.js";
import { invalidArgument } from "../shared/errors.js";
import { SUPPORTED_FS_TYPES } from "./mkfs-options.js";

const SINGLE_NODE_MODES: readonly Mode[] = [
  Mode.SINGLE_NODE_WRITER,
  Mode.SINGLE_NODE_SINGLE_WRITER,
  Mode.SINGLE_NODE_MULTI_WRITER,
  Mode.SINGLE_NODE_READER_ONLY,
];

export function modeName(mode: Mode): string {
  return Mode[mode] ?? String(mode);
}

/** Whether a volume in this mode may be attached to one node only. */
export function isSingleNode(mode: Mode): boolean {
  return SINGLE_NODE_MODES.includes(mode);
}

/** Whether a volume in this mode may be attached to more than one node at a time. */
export function isMultiNode(mode: Mode): boolean {
  return mode === Mode.MULTI_NODE_READER_ONLY;
}

/**
 * Returns why the capability is not supported (for the tier when given), or undefined when it is.
 * ValidateVolumeCapabilities reports the reason; CreateVolume and Publish raise it.
 */
export function unsupportedCapabilityReason(
  capability: VolumeCapability,
  tier?: { name: string; multiAttach: boolean },
): string | undefined {
  const mode = capability.accessMode?.mode;
  if (mode === undefined) return "access_mode is missing";
  const accessType = capability.accessType;
  if (accessType === undefined) return "access_type (mount or block) is missing";
  if (accessType.$case === "mount") {
    const fsType = accessType.value.fsType;
    if (fsType !== "" && !(SUPPORTED_FS_TYPES as readonly string[]).includes(fsType)) {
      return `fs_type "${fsType}" is not supported (${SUPPORTED_FS_TYPES.join(", ")})`;
    }
  }
  if (SINGLE_NODE_MODES.includes(mode)) return undefined;
  if (mode === Mode.MULTI_NODE_READER_ONLY) {
    if (tier === undefined || tier.multiAttach) return undefined;
    return `access mode MULTI_NODE_READER_ONLY needs a tier that attaches to several nodes; ${tier.name} does not`;
  }
  return `access mode ${modeName(mode)} is not supported`;
}

/** Validates a list of capabilities (required, non-empty) for a request field. */
export function checkCapabilities(
  field: string,
  capabilities: VolumeCapability[],
  tier?: { name: string; multiAttach: boolean },
): void {
  if (capabilities.length === 0) throw invalidArgument(`${field}: is required`);
  capabilities.forEach((capability, index) => {
    const reason = unsupportedCapabilityReason(capability, tier);
    if (reason !== undefined) throw invalidArgument(`${field}[${index}]: ${reason}`);
  });
}

/** The mount fs_type the capabilities ask for (undefined when none names one); they must agree. */
export function requestedFsType(field: string, capabilities: VolumeCapability[]): string | undefined {
  const fsTypes = new Set<string>();
  for (const capability of capabilities) {
    if (capability.accessType?.$case === "mount" && capability.accessType.value.fsType !== "") {
      fsTypes.add(capability.accessType.value.fsType);
    }
  }
  if (fsTypes.size > 1)
    throw invalidArgument(`${field}: conflicting fs_type values ${[...fsTypes].join(", ")}`);
  return [...fsTypes][0];
}
