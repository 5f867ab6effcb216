import type { FakeDisk } from "./fake-disk.js";

/** A disk attached to the fake host as a block device node. */
export interface FakeDevice {
  /** The device node, e.g. /dev/vdb. */
  path: string;
  major: number;
  minor: number;
  disk: FakeDisk;
  /** What a virtio-blk device reports in sysfs; undefined for devices that report none. */
  serial: string | undefined;
  /** The file behind a loop device, as sysfs's loop/backing_file shows it. */
  backingFile: string | undefined;
}

export function numbersOf(device: { major: number; minor: number }): string {
  return `${device.major}:${device.minor}`;
}
