import { invalidArgument } from "./errors.js";
import type { FsType } from "./filesystem-types.js";

/** The StorageClass parameters that tune mkfs; the volume context carries them under the same keys. */
export const MKFS_OPTION_KEYS = ["blockSize", "inodeSize", "bytesPerInode", "numberOfInodes"] as const;
export type MkfsOptionKey = (typeof MKFS_OPTION_KEYS)[number];
export type MkfsOptions = Partial<Record<MkfsOptionKey, number>>;

/**
 * The largest block size every node's kernel mounts. Linux mounts neither an ext4 nor an xfs whose
 * block size exceeds the page size, and the page size is 4 KiB on x86-64 and on most arm64
 * kernels; a larger block would make a volume that formats and then never stages.
 */
export const MAX_MOUNTABLE_BLOCK_SIZE = 4096;

interface OptionRule {
  min: number;
  max: number;
  powerOfTwo: boolean;
}

/**
 * What mkfs makes and the kernel then mounts, per filesystem. The controller checks a StorageClass
 * against it at CreateVolume and the node checks the volume context against it again before mkfs,
 * so both refuse the same values with the same message. xfs figures are those of its v5 (CRC)
 * format, mkfs.xfs's default: blocks of at least 1 KiB, inodes of at least 512 bytes. xfs has no
 * bytes-per-inode or inode-count option: it allocates inodes as it needs them.
 */
const RULES: Record<FsType, Partial<Record<MkfsOptionKey, OptionRule>>> = {
  ext4: {
    blockSize: { min: 1024, max: MAX_MOUNTABLE_BLOCK_SIZE, powerOfTwo: true },
    inodeSize: { min: 128, max: MAX_MOUNTABLE_BLOCK_SIZE, powerOfTwo: true },
    bytesPerInode: { min: 1024, max: 67_108_864, powerOfTwo: false },
    numberOfInodes: { min: 1, max: 4_294_967_295, powerOfTwo: false },
  },
  xfs: {
    blockSize: { min: 1024, max: MAX_MOUNTABLE_BLOCK_SIZE, powerOfTwo: true },
    inodeSize: { min: 512, max: 2048, powerOfTwo: true },
  },
};

/**
 * The mkfs options in `raw` (StorageClass parameters or a volume context), checked for `fsType`.
 * `prefix` names where they came from (`parameters`, `volume_context`) in the error message.
 */
export function checkedMkfsOptions(
  prefix: string,
  raw: Readonly<Record<string, string | undefined>>,
  fsType: FsType,
): MkfsOptions {
  const options: MkfsOptions = {};
  for (const key of MKFS_OPTION_KEYS) {
    const value = Object.hasOwn(raw, key) ? raw[key] : undefined;
    if (value === undefined) continue;
    const field = `${prefix}.${key}`;
    const rule = RULES[fsType][key];
    if (rule === undefined) throw invalidArgument(`${field}: not supported for filesystem ${fsType}`);
    if (!/^[0-9]{1,10}$/.test(value)) {
      throw invalidArgument(`${field}: ${JSON.stringify(value)} is not a decimal integer`);
    }
    const n = Number(value);
    if (n < rule.min || n > rule.max) {
      throw invalidArgument(`${field}: ${n} is outside ${rule.min}..${rule.max} for ${fsType}`);
    }
    if (rule.powerOfTwo && (n & (n - 1)) !== 0) throw invalidArgument(`${field}: ${n} is not a power of two`);
    options[key] = n;
  }
  checkCombination(prefix, fsType, options);
  return options;
}

/** Limits between options, as mke2fs and mkfs.xfs enforce them. */
function checkCombination(prefix: string, fsType: FsType, options: MkfsOptions): void {
  const { blockSize, inodeSize, bytesPerInode } = options;
  if (blockSize === undefined) return;
  if (fsType === "ext4" && inodeSize !== undefined && inodeSize > blockSize) {
    throw invalidArgument(`${prefix}.inodeSize: ${inodeSize} is larger than blockSize ${blockSize}`);
  }
  // mkfs.xfs wants at least two inodes in a block.
  if (fsType === "xfs" && inodeSize !== undefined && inodeSize > blockSize / 2) {
    throw invalidArgument(`${prefix}.inodeSize: ${inodeSize} is larger than half of blockSize ${blockSize}`);
  }
  if (bytesPerInode !== undefined && bytesPerInode < blockSize) {
    throw invalidArgument(`${prefix}.bytesPerInode: ${bytesPerInode} is smaller than blockSize ${blockSize}`);
  }
}

/** The mkfs options as volume-context entries, decimal strings under their parameter names. */
export function mkfsOptionsToContext(options: MkfsOptions): Record<string, string> {
  const context: Record<string, string> = {};
  for (const key of MKFS_OPTION_KEYS) {
    const value = options[key];
    if (value !== undefined) context[key] = String(value);
  }
  return context;
}
