import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** A block device node identified by its kernel device numbers. */
export interface BlockDevice {
  /** Canonical path of the device node, e.g. /dev/loop3. */
  path: string;
  major: number;
  minor: number;
}

/** Linux's dev_t encoding (glibc major()/minor()). */
export function splitDeviceNumber(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** The device numbers of a block device node, or undefined when the path is not one. */
export async function blockDeviceNumbers(
  path: string,
): Promise<{ major: number; minor: number } | undefined> {
  const info = await stat(path, { bigint: true });
  return info.isBlockDevice() ? splitDeviceNumber(info.rdev) : undefined;
}

export function sameDevice(
  a: { major: number; minor: number },
  b: { major: number; minor: number },
): boolean {
  return a.major === b.major && a.minor === b.minor;
}

/**
 * What the kernel says about block devices, read from sysfs (`/sys/dev/block/<major>:<minor>`).
 * The root is a parameter so tests can point it elsewhere.
 */
export class Sysfs {
  constructor(private readonly root = "/sys") {}

  private deviceDir(device: { major: number; minor: number }): string {
    return join(this.root, "dev", "block", `${device.major}:${device.minor}`);
  }

  private async readAttribute(device: { major: number; minor: number }, ...parts: string[]) {
    try {
      return (await readFile(join(this.deviceDir(device), ...parts), "utf8")).trim();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** Whether the kernel still has a block device with these numbers. */
  async exists(device: { major: number; minor: number }): Promise<boolean> {
    return (await this.readAttribute(device, "dev")) !== undefined;
  }

  /** Size in bytes (sysfs counts 512-byte sectors whatever the logical block size). */
  async sizeBytes(device: { major: number; minor: number }): Promise<bigint | undefined> {
    const sectors = await this.readAttribute(device, "size");
    return sectors === undefined ? undefined : BigInt(sectors) * 512n;
  }

  /** The serial a virtio-blk device reports (what udev names `virtio-<serial>` after). */
  async virtioSerial(device: { major: number; minor: number }): Promise<string | undefined> {
    const serial = await this.readAttribute(device, "serial");
    return serial === "" ? undefined : serial;
  }

  /** For loop devices: the file behind it; the kernel appends " (deleted)" once it is unlinked. */
  async loopBackingFile(device: { major: number; minor: number }): Promise<string | undefined> {
    const file = await this.readAttribute(device, "loop", "backing_file");
    return file === "" ? undefined : file;
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
