import { invalidArgument } from "../shared/errors.js";
import type { FsType } from "./filesystem-type.js";

/** mkfs tuning from the volume context; the controller validated it, the node checks again. */
export interface MkfsOptions {
  blockSize?: number;
  inodeSize?: number;
  bytesPerInode?: number;
  numberOfInodes?: number;
}

const KEYS = {
  blockSize: { min: 512, max: 65_536, powerOfTwo: true },
  inodeSize: { min: 128, max: 4096, powerOfTwo: true },
  bytesPerInode: { min: 1024, max: 67_108_864, powerOfTwo: false },
  numberOfInodes: { min: 1, max: 4_294_967_295, powerOfTwo: false },
} as const;

export function checkedMkfsOptions(
  volumeContext: Readonly<Record<string, string>>,
  fsType: FsType,
): MkfsOptions {
  const options: MkfsOptions = {};
  for (const [key, limits] of Object.entries(KEYS) as [
    keyof MkfsOptions,
    (typeof KEYS)[keyof MkfsOptions],
  ][]) {
    const raw = volumeContext[key];
    if (raw === undefined || raw === "") continue;
    if (!/^[0-9]{1,10}$/.test(raw)) {
      throw invalidArgument(`volume_context.${key}: ${JSON.stringify(raw)} is not a decimal integer`);
    }
    const value = Number(raw);
    if (value < limits.min || value > limits.max) {
      throw invalidArgument(`volume_context.${key}: ${value} is outside ${limits.min}..${limits.max}`);
    }
    if (limits.powerOfTwo && (value & (value - 1)) !== 0) {
      throw invalidArgument(`volume_context.${key}: ${value} is not a power of two`);
    }
    options[key] = value;
  }
  if (fsType === "xfs" && (options.bytesPerInode !== undefined || options.numberOfInodes !== undefined)) {
    throw invalidArgument(
      "volume_context: bytesPerInode and numberOfInodes apply to ext4 only; xfs allocates inodes dynamically",
    );
  }
  return options;
}

/** The mkfs program and arguments that create a filesystem with these options on a device. */
export function mkfsCommand(fsType: FsType, options: MkfsOptions, device: string): [string, string[]] {
  if (fsType === "ext4") {
    const args = ["-F", "-q"];
    if (options.blockSize !== undefined) args.push("-b", String(options.blockSize));
    if (options.inodeSize !== undefined) args.push("-I", String(options.inodeSize));
    if (options.bytesPerInode !== undefined) args.push("-i", String(options.bytesPerInode));
    if (options.numberOfInodes !== undefined) args.push("-N", String(options.numberOfInodes));
    return ["mkfs.ext4", [...args, device]];
  }
  const args = ["-q"];
  if (options.blockSize !== undefined) args.push("-b", `size=${options.blockSize}`);
  if (options.inodeSize !== undefined) args.push("-i", `size=${options.inodeSize}`);
  return ["mkfs.xfs", [...args, device]];
}
