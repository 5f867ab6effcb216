import type { FakeDisk } from "./fake-disk.js";

/** What a SCSI disk shows in sysfs: INQUIRY vendor and model, and VPD page 0x83 as raw bytes. */
export interface FakeScsi {
  vendor: string;
  model: string;
  /** The bytes of `device/vpd_pg83`; no such file when absent. */
  vpdPage83?: Buffer;
}

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
  /** What a SCSI disk reports; undefined for other devices. */
  scsi?: FakeScsi | undefined;
}

export function numbersOf(device: { major: number; minor: number }): string {
  return `${device.major}:${device.minor}`;
}
