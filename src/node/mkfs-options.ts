import { checkedMkfsOptions as checkedAgainstRules, type MkfsOptions } from "../shared/mkfs-option-rules.js";
import type { FsType } from "./filesystem-type.js";

export type { MkfsOptions } from "../shared/mkfs-option-rules.js";

/**
 * mkfs tuning from the volume context. The controller checked it against the same rules, but a
 * static PV's context never passed through the controller, so the node checks it again.
 */
export function checkedMkfsOptions(
  volumeContext: Readonly<Record<string, string>>,
  fsType: FsType,
): MkfsOptions {
  return checkedAgainstRules("volume_context", volumeContext, fsType);
}

/**
 * The mkfs program and arguments that create a filesystem with these options on a device. Neither
 * mkfs discards the device first: a device that only looked blank keeps its blocks, so data that
 * the blank check missed can still be recovered.
 */
export function mkfsCommand(fsType: FsType, options: MkfsOptions, device: string): [string, string[]] {
  if (fsType === "ext4") {
    const args = ["-F", "-q", "-E", "nodiscard"];
    if (options.blockSize !== undefined) args.push("-b", String(options.blockSize));
    if (options.inodeSize !== undefined) args.push("-I", String(options.inodeSize));
    if (options.bytesPerInode !== undefined) args.push("-i", String(options.bytesPerInode));
    if (options.numberOfInodes !== undefined) args.push("-N", String(options.numberOfInodes));
    return ["mkfs.ext4", [...args, device]];
  }
  const args = ["-q", "-K"];
  if (options.blockSize !== undefined) args.push("-b", `size=${options.blockSize}`);
  if (options.inodeSize !== undefined) args.push("-i", `size=${options.inodeSize}`);
  return ["mkfs.xfs", [...args, device]];
}
