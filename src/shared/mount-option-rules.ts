import { invalidArgument } from "./errors.js";
import type { FsType } from "./filesystem-types.js";

type ValueCheck = (value: string) => boolean;

const integerBetween =
  (min: number, max: number): ValueCheck =>
  (value) =>
    /^[0-9]{1,9}$/.test(value) && Number(value) >= min && Number(value) <= max;
const oneOf =
  (...allowed: string[]): ValueCheck =>
  (value) =>
    allowed.includes(value);
const sizeWithSuffix: ValueCheck = (value) => /^[0-9]{1,12}[kmg]?$/.test(value);

const COMMON_FLAGS = new Set([
  "ro",
  "noatime",
  "relatime",
  "strictatime",
  "nodiratime",
  "lazytime",
  "nolazytime",
  "nosuid",
  "nodev",
  "noexec",
  "sync",
  "dirsync",
  "discard",
  "nodiscard",
]);

const FLAGS_BY_FS: Record<FsType, Set<string>> = {
  ext4: new Set(["journal_checksum", "nojournal_checksum", "delalloc", "nodelalloc", "noauto_da_alloc"]),
  xfs: new Set(["nouuid", "inode64", "inode32", "largeio", "nolargeio", "swalloc", "wsync", "noquota"]),
};

const VALUES_BY_FS: Record<FsType, Record<string, ValueCheck>> = {
  ext4: {
    commit: integerBetween(1, 86_400),
    data: oneOf("ordered", "journal", "writeback"),
    errors: oneOf("remount-ro", "continue"),
    barrier: oneOf("0", "1"),
    stripe: integerBetween(1, 1 << 20),
  },
  xfs: {
    allocsize: sizeWithSuffix,
    logbufs: integerBetween(2, 8),
    logbsize: sizeWithSuffix,
  },
};

const MAX_MOUNT_FLAGS_BYTES = 4096;

/**
 * Mount flags come from the StorageClass (via the capability) and go straight to mount(8), so
 * the node lets through only options known to be harmless: no `bind`, `remount`, `loop`, helper
 * options (`x-*`, `helper=`), or anything that changes which device or namespace is mounted.
 * Flags may hold comma-separated lists; every element is checked. CreateVolume applies the same
 * list, so a StorageClass no node would stage is refused before a volume is made for it.
 */
export function checkedMountOptions(field: string, fsType: FsType, mountFlags: readonly string[]): string[] {
  if (Buffer.byteLength(mountFlags.join("")) > MAX_MOUNT_FLAGS_BYTES) {
    throw invalidArgument(`${field}: more than ${MAX_MOUNT_FLAGS_BYTES} bytes of mount flags`);
  }
  const options: string[] = [];
  for (const [index, flag] of mountFlags.entries()) {
    for (const option of flag.split(",")) {
      const trimmed = option.trim();
      if (trimmed === "") continue;
      const reason = refusal(fsType, trimmed);
      if (reason !== undefined) {
        throw invalidArgument(
          `${field}[${index}]: ${reason} (see the node documentation for the allow-list)`,
        );
      }
      if (!options.includes(trimmed)) options.push(trimmed);
    }
  }
  return options;
}

/**
 * Why `option` is refused, naming it by its key (the part before `=`) and never its value: the CSI
 * spec counts mount flags as possibly sensitive (`password=…`), and the refusal goes back to the
 * CO and into the driver's log. undefined when the option is allowed.
 */
function refusal(fsType: FsType, option: string): string | undefined {
  if (COMMON_FLAGS.has(option) || FLAGS_BY_FS[fsType].has(option)) return undefined;
  const equals = option.indexOf("=");
  if (equals < 0) return `mount option ${JSON.stringify(option)} is not allowed for ${fsType}`;
  const key = option.slice(0, equals);
  const checks = VALUES_BY_FS[fsType];
  // Own keys only: "constructor=..." must not find Object.prototype.constructor.
  const takesValue = Object.hasOwn(checks, key);
  if (takesValue && checks[key]?.(option.slice(equals + 1)) === true) return undefined;
  const known = takesValue || COMMON_FLAGS.has(key) || FLAGS_BY_FS[fsType].has(key);
  return `mount option ${JSON.stringify(key)} is not allowed for ${fsType}${known ? " with the value given" : ""}`;
}
