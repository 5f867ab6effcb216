import { invalidArgument } from "../shared/errors.js";

export const SUPPORTED_FS_TYPES = ["ext4", "xfs"] as const;
export type FsType = (typeof SUPPORTED_FS_TYPES)[number];
export const DEFAULT_FS_TYPE: FsType = "ext4";

export const MKFS_OPTION_KEYS = ["blockSize", "inodeSize", "bytesPerInode", "numberOfInodes"] as const;
export type MkfsOptionKey = (typeof MKFS_OPTION_KEYS)[number];
export type MkfsOptions = Partial<Record<MkfsOptionKey, number>>;

interface OptionRule {
  min: number;
  max: number;
  powerOfTwo: boolean;
}

/**
 * What mkfs accepts for each filesystem, checked here so a bad StorageClass fails at
 * CreateVolume instead of at the first mount on a node. xfs has no bytes-per-inode or inode-count
 * option, and block sizes above the page size (4 KiB) would make the filesystem unmountable.
 */
const RULES: Record<FsType, Partial<Record<MkfsOptionKey, OptionRule>>> = {
  ext4: {
    blockSize: { min: 1024, max: 65536, powerOfTwo: true },
    inodeSize: { min: 128, max: 4096, powerOfTwo: true },
    bytesPerInode: { min: 1024, max: 67108864, powerOfTwo: false },
    numberOfInodes: { min: 1, max: 4294967295, powerOfTwo: false },
  },
  xfs: {
    blockSize: { min: 512, max: 4096, powerOfTwo: true },
    inodeSize: { min: 256, max: 2048, powerOfTwo: true },
  },
};

export function parseFsType(field: string, value: string): FsType {
  const lower = value.toLowerCase();
  if ((SUPPORTED_FS_TYPES as readonly string[]).includes(lower)) return lower as FsType;
  throw invalidArgument(
    `${field}: "${value}" is not a supported filesystem (${SUPPORTED_FS_TYPES.join(", ")})`,
  );
}

/** Parses and validates the mkfs options given in `raw` (StorageClass keys) for `fsType`. */
export function parseMkfsOptions(raw: Partial<Record<MkfsOptionKey, string>>, fsType: FsType): MkfsOptions {
  const options: MkfsOptions = {};
  for (const key of MKFS_OPTION_KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    const rule = RULES[fsType][key];
    if (rule === undefined) {
      throw invalidArgument(`parameters.${key}: not supported for filesystem ${fsType}`);
    }
    if (!/^[0-9]+$/.test(value)) {
      throw invalidArgument(`parameters.${key}: "${value}" is not a positive integer`);
    }
    const n = Number(value);
    if (n < rule.min || n > rule.max) {
      throw invalidArgument(`parameters.${key}: ${n} is outside ${rule.min}..${rule.max} for ${fsType}`);
    }
    if (rule.powerOfTwo && (n & (n - 1)) !== 0) {
      throw invalidArgument(`parameters.${key}: ${n} is not a power of two`);
    }
    options[key] = n;
  }
  const { blockSize, inodeSize, bytesPerInode } = options;
  if (fsType === "ext4" && inodeSize !== undefined && blockSize !== undefined && inodeSize > blockSize) {
    throw invalidArgument(`parameters.inodeSize: ${inodeSize} is larger than blockSize ${blockSize}`);
  }
  if (bytesPerInode !== undefined && blockSize !== undefined && bytesPerInode < blockSize) {
    throw invalidArgument(
      `parameters.bytesPerInode: ${bytesPerInode} is smaller than blockSize ${blockSize}`,
    );
  }
  return options;
}

/** The mkfs options as volume-context entries (decimal strings, keys from docs/architecture.md). */
export function mkfsOptionsToContext(options: MkfsOptions): Record<string, string> {
  const context: Record<string, string> = {};
  for (const key of MKFS_OPTION_KEYS) {
    const value = options[key];
    if (value !== undefined) context[key] = String(value);
  }
  return context;
}
