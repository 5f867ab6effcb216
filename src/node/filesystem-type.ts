import { invalidArgument } from "../shared/errors.js";

export const SUPPORTED_FS_TYPES = ["ext4", "xfs"] as const;
export type FsType = (typeof SUPPORTED_FS_TYPES)[number];
export const DEFAULT_FS_TYPE: FsType = "ext4";

export function checkedFsType(field: string, value: string): FsType {
  if (value === "") return DEFAULT_FS_TYPE;
  const found = SUPPORTED_FS_TYPES.find((type) => type === value);
  if (!found) {
    throw invalidArgument(
      `${field}: ${JSON.stringify(value)} is not a supported filesystem (supported: ${SUPPORTED_FS_TYPES.join(", ")})`,
    );
  }
  return found;
}
