/** A device's kernel numbers: what a mount entry, a device node and sysfs have in common. */
export interface DeviceNumbers {
  major: number;
  minor: number;
}

/** A block device node identified by its kernel device numbers. */
export interface BlockDevice extends DeviceNumbers {
  /** Canonical path of the device node, e.g. /dev/loop3. */
  path: string;
}

/** Linux's dev_t encoding (glibc major()/minor()). */
export function splitDeviceNumber(rdev: bigint): DeviceNumbers {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

export function sameDevice(a: DeviceNumbers, b: DeviceNumbers): boolean {
  return a.major === b.major && a.minor === b.minor;
}
