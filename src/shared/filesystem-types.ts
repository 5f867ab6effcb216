import { invalidArgument } from "./errors.js";

/** The filesystems the node makes and mounts; the controller accepts exactly these. */
export const SUPPORTED_FS_TYPES = ["ext4", "xfs"] as const;
export type FsType = (typeof SUPPORTED_FS_TYPES)[number];

/** What the node makes when neither the capability nor the StorageClass names a filesystem. */
export const DEFAULT_FS_TYPE: FsType = "ext4";

/** The supported filesystem `value` names (in any case), or undefined. */
export function supportedFsType(value: string): FsType | undefined {
  return SUPPORTED_FS_TYPES.find((type) => type === value.toLowerCase());
}

/**
 * The filesystem a request names (any case: a StorageClass's `XFS` means xfs), or
 * InvalidArgument naming the field and the value.
 */
export function parseFsType(field: string, value: string): FsType {
  const found = supportedFsType(value);
  if (found === undefined) {
    throw invalidArgument(
      `${field}: ${JSON.stringify(value)} is not a supported filesystem (${SUPPORTED_FS_TYPES.join(", ")})`,
    );
  }
  return found;
}
