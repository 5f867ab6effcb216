import { DEFAULT_FS_TYPE, type FsType, parseFsType } from "../shared/filesystem-types.js";
import { VOLUME_CONTEXT_KEYS } from "../shared/volume-context-keys.js";

export type { FsType } from "../shared/filesystem-types.js";

/**
 * The filesystem a NodeStage or NodePublish asks for: the capability's fs_type when it names one,
 * else the StorageClass's that CreateVolume put in the volume context, else the default.
 */
export function nodeFsType(
  capabilityField: string,
  capabilityFsType: string,
  volumeContext: Readonly<Record<string, string>>,
): FsType {
  if (capabilityFsType !== "") return parseFsType(capabilityField, capabilityFsType);
  const key = VOLUME_CONTEXT_KEYS.fsType;
  const fromContext = Object.hasOwn(volumeContext, key) ? volumeContext[key] : undefined;
  if (fromContext === undefined || fromContext === "") return DEFAULT_FS_TYPE;
  return parseFsType(`volume_context.${key}`, fromContext);
}
