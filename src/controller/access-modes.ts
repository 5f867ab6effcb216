import type { VolumeCapability } from "../generated/csi.js";
import type { ProviderProfile } from "../providers/provider.js";
import { isMultiNode, modeName, SINGLE_NODE_MODES } from "../shared/access-modes.js";
import { invalidArgument } from "../shared/errors.js";
import { type FsType, SUPPORTED_FS_TYPES, supportedFsType } from "../shared/filesystem-types.js";
import { checkedMountOptions } from "../shared/mount-option-rules.js";

/**
 * Returns why the capability is not supported (by the provider, and by the tier when given), or
 * undefined when it is. ValidateVolumeCapabilities reports the reason; CreateVolume and Publish
 * raise it.
 */
export function unsupportedCapabilityReason(
  capability: VolumeCapability,
  provider: ProviderProfile,
  tier?: { name: string; multiAttach: boolean },
): string | undefined {
  const mode = capability.accessMode?.mode;
  if (mode === undefined) return "access_mode is missing";
  const accessType = capability.accessType;
  if (accessType === undefined) return "access_type (mount or block) is missing";
  if (accessType.$case === "mount") {
    const fsType = accessType.value.fsType;
    if (fsType !== "" && supportedFsType(fsType) === undefined) {
      return `fs_type "${fsType}" is not supported (${SUPPORTED_FS_TYPES.join(", ")})`;
    }
  }
  if (SINGLE_NODE_MODES.has(mode)) return undefined;
  if (isMultiNode(mode)) {
    if (!provider.capabilities.multiAttach) {
      return `access mode ${modeName(mode)} is not supported: provider ${provider.name} does not attach a volume to several nodes`;
    }
    if (tier === undefined || tier.multiAttach) return undefined;
    return `access mode ${modeName(mode)} needs a tier that attaches to several nodes; ${tier.name} does not`;
  }
  return `access mode ${modeName(mode)} is not supported`;
}

/** Validates a list of capabilities (required, non-empty) for a request field. */
export function checkCapabilities(
  field: string,
  capabilities: VolumeCapability[],
  provider: ProviderProfile,
  tier?: { name: string; multiAttach: boolean },
): void {
  if (capabilities.length === 0) throw invalidArgument(`${field}: is required`);
  capabilities.forEach((capability, index) => {
    const reason = unsupportedCapabilityReason(capability, provider, tier);
    if (reason !== undefined) throw invalidArgument(`${field}[${index}]: ${reason}`);
  });
}

/**
 * Refuses mount flags the node would refuse at every NodeStage of a volume with this filesystem,
 * by the node's own allow-list: a volume made for them could never be used.
 */
export function checkMountFlags(field: string, capabilities: VolumeCapability[], fsType: FsType): void {
  capabilities.forEach((capability, index) => {
    if (capability.accessType?.$case !== "mount") return;
    checkedMountOptions(
      `${field}[${index}].mount.mount_flags`,
      fsType,
      capability.accessType.value.mountFlags,
    );
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
