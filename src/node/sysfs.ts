import { join } from "node:path";
import type { DeviceNumbers } from "./device-numbers.js";
import type { HostFs } from "./host-fs.js";
import {
  type DeviceIdentificationPage,
  parseDeviceIdentificationPage,
  type ScsiDiskReport,
} from "./scsi-identity.js";

/** VPD pages are at most a few hundred bytes; a longer one reads as cut short and proves nothing. */
const VPD_READ_BYTES = 4096;

/**
 * What the kernel says about block devices, read from sysfs (`/sys/dev/block/<major>:<minor>`).
 * The root is a parameter so tests can point it elsewhere.
 */
export class Sysfs {
  constructor(
    private readonly host: HostFs,
    private readonly root = "/sys",
  ) {}

  private async attribute(device: DeviceNumbers, ...parts: string[]): Promise<string | undefined> {
    const text = await this.host.readText(
      join(this.root, "dev", "block", `${device.major}:${device.minor}`, ...parts),
    );
    return text?.trim();
  }

  /** Whether the kernel still has a block device with these numbers. */
  async exists(device: DeviceNumbers): Promise<boolean> {
    return (await this.attribute(device, "dev")) !== undefined;
  }

  /** Size in bytes (sysfs counts 512-byte sectors whatever the logical block size). */
  async sizeBytes(device: DeviceNumbers): Promise<bigint | undefined> {
    const sectors = await this.attribute(device, "size");
    return sectors === undefined ? undefined : BigInt(sectors) * 512n;
  }

  /** The serial a virtio-blk device reports (what udev names `virtio-<serial>` after). */
  async virtioSerial(device: DeviceNumbers): Promise<string | undefined> {
    const serial = await this.attribute(device, "serial");
    return serial === "" ? undefined : serial;
  }

  /**
   * What a SCSI disk reports: the INQUIRY vendor and model (`device/vendor`, `device/model`,
   * space-padded) and VPD page 0x83 (`device/vpd_pg83`, binary). Undefined for a device that is
   * no SCSI disk (it has no vendor and model).
   */
  async scsiDisk(device: DeviceNumbers): Promise<ScsiDiskReport | undefined> {
    const vendor = await this.attribute(device, "device", "vendor");
    const model = await this.attribute(device, "device", "model");
    if (vendor === undefined || model === undefined) return undefined;
    return { vendor, model, page: await this.deviceIdentificationPage(device) };
  }

  private async deviceIdentificationPage(
    device: DeviceNumbers,
  ): Promise<DeviceIdentificationPage | undefined> {
    const path = join(this.root, "dev", "block", `${device.major}:${device.minor}`, "device", "vpd_pg83");
    try {
      return parseDeviceIdentificationPage(await this.host.readAt(path, 0n, VPD_READ_BYTES));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      return { problem: `reading ${path} failed: ${(error as Error).message}` };
    }
  }

  /** For loop devices: the file behind it; the kernel appends " (deleted)" once it is unlinked. */
  async loopBackingFile(device: DeviceNumbers): Promise<string | undefined> {
    const file = await this.attribute(device, "loop", "backing_file");
    return file === "" ? undefined : file;
  }
}

/** The device numbers of a block device node, or undefined when the path is not one. */
export async function blockDeviceNumbers(host: HostFs, path: string): Promise<DeviceNumbers | undefined> {
  return (await host.stat(path))?.device;
}
