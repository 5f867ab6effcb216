import type { FsType } from "../shared/filesystem-types.js";
import { type MkfsOptions, mkfsOptionsToContext } from "../shared/mkfs-option-rules.js";
import { VOLUME_CONTEXT_KEYS } from "../shared/volume-context-keys.js";

/**
 * The volume context CreateVolume hands to every later call on the volume: the mkfs options, the
 * StorageClass's fsType when it named one (the node formats that when the capability names no
 * fs_type), and the tier.
 *
 * The tier is a hint, not a fact: static PVs may lack it, and ControllerModifyVolume can change
 * the tier afterwards. ControllerPublishVolume uses it only to skip a read when the tier it names
 * is single-attach; safety never rests on it, because a single-node mode's attach is exclusive and
 * the cloud refuses it while the volume is attached elsewhere, whatever the tier is now.
 */
export function volumeContextOf(options: {
  mkfsOptions: MkfsOptions;
  storageClassFsType: FsType | undefined;
  typeName: string;
}): Record<string, string> {
  return {
    ...mkfsOptionsToContext(options.mkfsOptions),
    ...(options.storageClassFsType === undefined
      ? {}
      : { [VOLUME_CONTEXT_KEYS.fsType]: options.storageClassFsType }),
    [VOLUME_CONTEXT_KEYS.volumeType]: options.typeName,
  };
}

/** The tier named in a volume context, or undefined when it names none. */
export function volumeTypeFromContext(volumeContext: Readonly<Record<string, string>>): string | undefined {
  const name = volumeContext[VOLUME_CONTEXT_KEYS.volumeType];
  return name === undefined || name === "" ? undefined : name;
}
