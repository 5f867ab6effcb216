import { dirname, join } from "node:path";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { failedPrecondition, internal } from "../shared/errors.js";
import { type DeviceDiscovery, type FoundDevice, serialOfVolume } from "./device-discovery.js";
import { type DeviceNumbers, sameDevice } from "./device-numbers.js";
import type { HostFs } from "./host-fs.js";
import { isReadOnly, type MountEntry, type MountTable } from "./mount-table.js";
import type { Mounter } from "./mounter.js";
import { blockDeviceNumbers, type Sysfs } from "./sysfs.js";

/**
 * Whose a mount is:
 * - `ours`: the volume's own device (its filesystem, a bind of it, or its device node bound for
 *   raw block);
 * - `stale`: a leftover whose block device is gone from the kernel, which nobody can use any more;
 * - `foreign`: anything alive that is not provably this volume's, which the driver never touches.
 */
export type Ownership = "ours" | "stale" | "foreign";

/** The volume's device as far as the node can tell right now; `problem` says why it is unknown. */
export interface PresentDevice {
  device: FoundDevice | undefined;
  problem: string | undefined;
}

export interface MountStateOptions {
  host: HostFs;
  sysfs: Sysfs;
  mounts: MountTable;
  mounter: Mounter;
  discovery: DeviceDiscovery;
  logger: Logger;
  metrics: Metrics;
  byIdDir: string;
}

/** The root a bind of the device's node shows: its path inside devtmpfs (`/vdb`). */
function deviceNodeRoot(device: FoundDevice): string {
  return `/${device.path.slice("/dev/".length)}`;
}

/** The node's view of mounts and devices, and the only code that unmounts or removes paths. */
export class MountState {
  constructor(private readonly options: MountStateOptions) {}

  /** The volume's device if it is attached and proven now; never waits. */
  async presentDevice(volumeId: string): Promise<PresentDevice> {
    try {
      const hint = { serial: serialOfVolume(volumeId) };
      return { device: await this.options.discovery.findNow(volumeId, hint), problem: undefined };
    } catch (error) {
      return { device: undefined, problem: (error as Error).message };
    }
  }

  /** The device numbers a mount serves: a raw block bind shows devtmpfs, the node shows the device. */
  async servedDevice(entry: MountEntry, path: string): Promise<DeviceNumbers | undefined> {
    if (entry.fsType === "devtmpfs")
      return blockDeviceNumbers(this.options.host, path).catch(() => undefined);
    return entry.major === 0 ? undefined : entry;
  }

  /** A device the kernel no longer has (unplugged), or a loop device no longer bound to a file. */
  async deviceGone(numbers: DeviceNumbers): Promise<boolean> {
    if (!(await this.options.sysfs.exists(numbers))) return true;
    return (await this.options.sysfs.sizeBytes(numbers)) === 0n;
  }

  /**
   * A mount of a device that is not the volume's present one is still the volume's leftover
   * (stale) when that device says it is the volume's (an earlier attachment, kept alive by the
   * mount) or is gone altogether.
   */
  async ownership(
    entry: MountEntry,
    path: string,
    volumeId: string,
    device: FoundDevice | undefined,
  ): Promise<Ownership> {
    const served = await this.servedDevice(entry, path);
    if (served === undefined) return "foreign";
    if (device !== undefined && sameDevice(served, device)) return "ours";
    return (await this.leftoverOf(served, volumeId)) ? "stale" : "foreign";
  }

  /** Whether a device that is not the volume's present one is what is left of it. */
  async leftoverOf(served: DeviceNumbers, volumeId: string): Promise<boolean> {
    if (await this.deviceGone(served)) return true;
    return this.options.discovery.belongsTo(served, volumeId);
  }

  /** Describes a mount for an error message. */
  describe(entry: MountEntry): string {
    return `${entry.source} (${entry.fsType}, device ${entry.major}:${entry.minor})`;
  }

  /**
   * Unmounts every layer at a path, each only after it is judged this volume's or stale; a
   * foreign layer stops it with FailedPrecondition, leaving that layer and everything under it.
   * `shown` is the top layer the caller has just read from the mount table, which is not read
   * again for it.
   */
  async unmountOwn(
    path: string,
    volumeId: string,
    device: FoundDevice | undefined,
    shown: MountEntry,
  ): Promise<void> {
    for (let top: MountEntry | undefined = shown; top !== undefined; ) {
      const verdict = await this.ownership(top, path, volumeId, device);
      if (verdict === "foreign") {
        throw failedPrecondition(
          `${path} has ${this.describe(top)} mounted, which is not volume ${volumeId}'s device${device === undefined ? " (the volume is not attached to this node)" : ` ${device.path}`}; nothing was unmounted`,
        );
      }
      if (verdict === "stale") this.noteStale(path, top);
      await this.options.mounter.unmount(path);
      top = await this.options.mounts.top(path);
    }
  }

  /** Unmounts a stale mount before the path is used again. */
  async repairStale(path: string, entry: MountEntry): Promise<void> {
    this.noteStale(path, entry);
    while ((await this.options.mounts.top(path)) !== undefined) await this.options.mounter.unmount(path);
  }

  private noteStale(path: string, entry: MountEntry): void {
    this.options.logger.warn(
      { path, source: entry.source, device: `${entry.major}:${entry.minor}` },
      "unmounting stale mount whose device is gone",
    );
    this.options.metrics.nodeStaleMountRepairs.inc();
  }

  /**
   * Removes the directory a mount was made on, once nothing is mounted there. A directory that
   * still holds files is not one the driver made (it may be kubelet's own), so it is left as it
   * is; so is anything that is not a directory.
   */
  async removeEmptyDirectory(path: string): Promise<void> {
    const info = await this.options.host.lstat(path);
    if (info?.kind !== "directory") return;
    try {
      await this.options.host.rmdir(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      if (code === "ENOTEMPTY" || code === "EEXIST") {
        this.options.logger.info({ path, reason: code }, "leaving a directory that is not empty");
        return;
      }
      throw internal(`removing ${path} failed: ${(error as Error).message}`, error);
    }
  }

  /**
   * Creates a directory for a mount and answers an undo that removes what this call created,
   * deepest first, for when the operation fails before anything is mounted there.
   */
  async makeDirectory(path: string): Promise<() => Promise<void>> {
    const first = await this.options.host.mkdirp(path);
    return async () => {
      if (first === undefined) return;
      for (let current = path; ; current = dirname(current)) {
        if ((await this.options.mounts.top(current)) !== undefined) return;
        await this.removeEmptyDirectory(current);
        if (current === first || current === dirname(current)) return;
      }
    };
  }

  /**
   * A read-write mount point of the filesystem mounted at `entry`, the staging path first. The
   * kernel refuses to grow a filesystem through a read-only mount (EROFS), and a volume published
   * read-only is a read-only bind of a staging mount that is usually read-write.
   */
  async writableMountOf(entry: MountEntry, stagingPath: string | undefined): Promise<string | undefined> {
    const candidates = (await this.options.mounts.entries()).filter(
      (other) => sameDevice(other, entry) && !isReadOnly(other),
    );
    const staged = stagingPath === undefined ? undefined : await this.options.mounts.top(stagingPath);
    const preferred = [staged, entry].find(
      (mount) => mount !== undefined && candidates.some((other) => other.mountId === mount.mountId),
    );
    return (preferred ?? candidates[0])?.mountPoint;
  }

  /**
   * Where the device is mounted besides `paths` (layers at those paths do not count): its
   * filesystem or binds of it, and binds of its device node for raw block.
   */
  async mountPointsOf(device: FoundDevice, paths: readonly string[]): Promise<string[]> {
    const skipped = new Set<number>();
    for (const path of paths) {
      for (const entry of await this.options.mounts.at(path)) skipped.add(entry.mountId);
    }
    const nodeRoot = deviceNodeRoot(device);
    return (await this.options.mounts.entries())
      .filter((entry) => !skipped.has(entry.mountId))
      .filter(
        (entry) => sameDevice(entry, device) || (entry.fsType === "devtmpfs" && entry.root === nodeRoot),
      )
      .map((entry) => entry.mountPoint);
  }

  async linkedDevices(): Promise<FoundDevice[]> {
    const { host, byIdDir } = this.options;
    const devices: FoundDevice[] = [];
    for (const name of await host.readdir(byIdDir)) {
      const link = join(byIdDir, name);
      const numbers = await blockDeviceNumbers(host, link).catch(() => undefined);
      const path = numbers && (await host.realpath(link));
      if (numbers !== undefined && path !== undefined) devices.push({ path, link, ...numbers });
    }
    return devices;
  }

  /** Volumes of ours mounted anywhere count as staged, their further mounts as publications. */
  async volumeCounts(): Promise<{ staged: number; published: number }> {
    const devices = await this.linkedDevices();
    const entries = await this.options.mounts.entries();
    let staged = 0;
    let published = 0;
    for (const device of devices) {
      const mounts = entries.filter((entry) => sameDevice(entry, device)).length;
      if (mounts > 0) staged += 1;
      published += Math.max(0, mounts - 1);
      const nodeRoot = deviceNodeRoot(device);
      published += entries.filter((entry) => entry.fsType === "devtmpfs" && entry.root === nodeRoot).length;
    }
    return { staged, published };
  }
}
