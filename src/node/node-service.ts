import {
  access,
  constants,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rmdir,
  stat,
  statfs,
  unlink,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import {
  aborted,
  alreadyExists,
  failedPrecondition,
  internal,
  notFound,
  unavailable,
} from "../shared/errors.js";
import { blockDeviceNumbers, isMissing, Sysfs, sameDevice } from "./block-device.js";
import { DeviceDiscovery, type DeviceHint, type FoundDevice, serialOfVolume } from "./device-discovery.js";
import { probeDevice } from "./device-probe.js";
import type { Exec } from "./exec.js";
import { FilesystemResizer } from "./filesystem-resizer.js";
import { checkedFsType, type FsType } from "./filesystem-type.js";
import { type MkfsOptions, mkfsCommand } from "./mkfs-options.js";
import { isReadOnly, type MountEntry, MountTable } from "./mount-table.js";
import { Mounter } from "./mounter.js";
import { type NodeIdentity, type NodeIdentityConfig, resolveNodeIdentity } from "./node-identity.js";
import { asPathError } from "./path-errors.js";

/** How the CO wants to use the volume, already validated. */
export type VolumeAccess = { kind: "block" } | { kind: "mount"; fsType: FsType; mountOptions: string[] };

export interface StageVolumeRequest {
  volumeId: string;
  stagingPath: string;
  hint: DeviceHint;
  access: VolumeAccess;
  /** The access mode only allows reading (e.g. SINGLE_NODE_READER_ONLY). */
  readOnly: boolean;
  /**
   * MULTI_NODE_READER_ONLY: the device may be attached to other nodes at the same time, so this
   * node must never write to it, not even to format or grow it.
   */
  sharedReadOnly: boolean;
  mkfsOptions: MkfsOptions;
}

export interface UnstageVolumeRequest {
  volumeId: string;
  stagingPath: string;
}

export interface PublishVolumeRequest {
  volumeId: string;
  stagingPath: string;
  targetPath: string;
  hint: DeviceHint;
  access: VolumeAccess;
  readOnly: boolean;
}

export interface UnpublishVolumeRequest {
  volumeId: string;
  targetPath: string;
}

export interface VolumeStatsRequest {
  volumeId: string;
  volumePath: string;
  stagingPath?: string;
}

export interface VolumeUsageFigures {
  unit: "bytes" | "inodes";
  total: bigint;
  available?: bigint;
  used?: bigint;
}

export interface VolumeStats {
  usage: VolumeUsageFigures[];
  condition: { abnormal: boolean; message: string };
}

export interface ExpandVolumeRequest {
  volumeId: string;
  volumePath: string;
  stagingPath?: string;
  requiredBytes: bigint;
  access?: VolumeAccess;
}

export interface NodeServiceDeps {
  exec: Exec;
  logger: Logger;
  metrics: Metrics;
  identity: NodeIdentityConfig;
  /** Where device links appear (the `--by-id-dir` flag). */
  byIdDir?: string;
  /** How long stage and publish wait for a device to appear (the `--device-wait` flag). */
  deviceWaitMs?: number;
  /** Path of udevadm; undefined looks for it in the usual places, null means this machine has none. */
  udevadmPath?: string | null;
  mountInfoPath?: string;
  sysfsRoot?: string;
}

export const DEFAULT_BY_ID_DIR = "/dev/disk/by-id";
export const DEFAULT_DEVICE_WAIT_MS = 30_000;
const UDEVADM_LOCATIONS = ["/usr/bin/udevadm", "/bin/udevadm", "/usr/sbin/udevadm", "/sbin/udevadm"];

export async function createNodeService(deps: NodeServiceDeps): Promise<NodeService> {
  let udevadmPath = deps.udevadmPath ?? undefined;
  if (deps.udevadmPath === undefined) {
    for (const candidate of UDEVADM_LOCATIONS) {
      if (
        await access(candidate, constants.X_OK).then(
          () => true,
          () => false,
        )
      ) {
        udevadmPath = candidate;
        break;
      }
    }
  }
  const service = new NodeService(deps, udevadmPath);
  // A restarted node plugin must report the volumes already staged and published at once, not
  // after the next per-volume call.
  await service
    .refreshGauges()
    .catch((error: unknown) =>
      deps.logger.warn({ err: error }, "refreshing volume gauges from the mount table failed"),
    );
  return service;
}

type MountVerdict = "ours" | "stale" | "foreign";

/**
 * The node half of the driver. It remembers nothing between calls: every decision is made from
 * the kernel's mount table, sysfs and the device links, so a restart between calls changes nothing.
 */
export class NodeService {
  private readonly exec: Exec;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly byIdDir: string;
  private readonly sysfs: Sysfs;
  private readonly mounts: MountTable;
  private readonly mounter: Mounter;
  private readonly resizer: FilesystemResizer;
  private readonly discovery: DeviceDiscovery;
  private readonly identity: NodeIdentityConfig;
  private readonly busyVolumes = new Set<string>();

  constructor(deps: NodeServiceDeps, udevadmPath: string | undefined) {
    this.exec = deps.exec;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.identity = deps.identity;
    this.byIdDir = deps.byIdDir ?? DEFAULT_BY_ID_DIR;
    this.sysfs = new Sysfs(deps.sysfsRoot);
    this.mounts = new MountTable(deps.mountInfoPath);
    this.mounter = new Mounter(deps.exec, deps.metrics);
    this.resizer = new FilesystemResizer(deps.exec, deps.metrics);
    this.discovery = new DeviceDiscovery({
      byIdDir: this.byIdDir,
      sysfs: this.sysfs,
      exec: deps.exec,
      logger: deps.logger,
      metrics: deps.metrics,
      waitBudgetMs: deps.deviceWaitMs ?? DEFAULT_DEVICE_WAIT_MS,
      udevadmPath,
    });
  }

  nodeInfo(): Promise<NodeIdentity> {
    return resolveNodeIdentity(this.identity);
  }

  stageVolume(request: StageVolumeRequest): Promise<void> {
    return this.exclusive(request.volumeId, async () => {
      const device = await this.discovery.find(request.volumeId, request.hint);
      const { access } = request;
      if (access.kind === "block") {
        // Raw block needs nothing at the staging path; publish binds the device node itself.
        const existing = await this.mounts.top(request.stagingPath);
        if (existing !== undefined) {
          throw alreadyExists(
            `volume ${request.volumeId} is staged at ${request.stagingPath} as a ${existing.fsType} filesystem, not for raw block access`,
          );
        }
        await mkdir(request.stagingPath, { recursive: true });
        return;
      }

      const existing = await this.mounts.top(request.stagingPath);
      if (existing !== undefined) {
        const verdict = await this.judgeMount(existing, request.stagingPath, device, request.hint);
        if (verdict === "ours") {
          if (existing.fsType !== access.fsType) {
            throw alreadyExists(
              `volume ${request.volumeId} is staged at ${request.stagingPath} as ${existing.fsType}, not ${access.fsType}`,
            );
          }
          const wantReadOnly = request.readOnly || access.mountOptions.includes("ro");
          if (isReadOnly(existing) !== wantReadOnly) {
            throw alreadyExists(
              `volume ${request.volumeId} is staged at ${request.stagingPath} ${isReadOnly(existing) ? "read-only" : "read-write"}, not ${wantReadOnly ? "read-only" : "read-write"} as requested`,
            );
          }
          return;
        }
        if (verdict === "foreign") {
          throw alreadyExists(
            `staging path ${request.stagingPath} already has ${existing.source} mounted, which is not volume ${request.volumeId}'s device ${device.path}`,
          );
        }
        await this.repairStale(request.stagingPath, existing);
      }

      await mkdir(request.stagingPath, { recursive: true });
      await this.prepareFilesystem(request, access, device);
      const options = [...access.mountOptions];
      if (access.fsType === "xfs" && !options.includes("nouuid")) options.push("nouuid");
      if (request.readOnly && !options.includes("ro")) options.push("ro");
      // A read-only mount still replays a dirty journal, which writes to the device; other nodes
      // may be reading it at the same time, so a shared volume is mounted without recovery.
      if (request.sharedReadOnly) options.push(access.fsType === "xfs" ? "norecovery" : "noload");
      await this.mounter.mountFilesystem(device.path, request.stagingPath, access.fsType, options);
      this.logger.info(
        {
          volumeId: request.volumeId,
          device: device.path,
          stagingPath: request.stagingPath,
          fsType: access.fsType,
        },
        "volume staged",
      );
      if (access.fsType === "xfs" && !request.readOnly) {
        const deviceBytes = await this.deviceBytes(device);
        const fsBytes = await this.resizer.filesystemBytes("xfs", device.path, request.stagingPath);
        if (this.resizer.needsGrowth(fsBytes, deviceBytes)) {
          this.logger.info(
            { volumeId: request.volumeId, fsBytes, deviceBytes },
            "growing xfs to fill its device",
          );
          await this.resizer.growXfs(request.stagingPath);
        }
      }
    });
  }

  unstageVolume(request: UnstageVolumeRequest): Promise<void> {
    return this.exclusive(request.volumeId, async () => {
      await this.unmountAll(request.stagingPath);
      await this.removeEmptyDirectory(request.stagingPath);
    });
  }

  publishVolume(request: PublishVolumeRequest): Promise<void> {
    return this.exclusive(request.volumeId, async () => {
      if (request.access.kind === "block") return this.publishBlock(request);
      const { access } = request;
      const staged = await this.mounts.top(request.stagingPath);
      if (staged === undefined) {
        throw failedPrecondition(`volume ${request.volumeId} is not staged at ${request.stagingPath}`);
      }
      const device = await this.discovery.find(request.volumeId, request.hint);
      if (!sameDevice(staged, device)) {
        throw failedPrecondition(
          `staging path ${request.stagingPath} holds ${staged.source} (${staged.major}:${staged.minor}), not volume ${request.volumeId}'s device ${device.path}; stage the volume again`,
        );
      }
      if (staged.fsType !== access.fsType) {
        throw alreadyExists(
          `volume ${request.volumeId} is staged as ${staged.fsType}; it cannot be published as ${access.fsType}`,
        );
      }
      const existing = await this.mounts.top(request.targetPath);
      if (existing !== undefined) {
        if (sameDevice(existing, staged) && existing.root === staged.root) {
          if (isReadOnly(existing) === request.readOnly) return;
          throw alreadyExists(
            `volume ${request.volumeId} is already published at ${request.targetPath} ${isReadOnly(existing) ? "read-only" : "read-write"}`,
          );
        }
        const verdict = await this.judgeMount(existing, request.targetPath, device, request.hint);
        if (verdict === "foreign") {
          throw alreadyExists(`target path ${request.targetPath} already has ${existing.source} mounted`);
        }
        await this.repairStale(request.targetPath, existing);
      }
      await mkdir(request.targetPath, { recursive: true });
      await this.mounter.bind("publish", request.stagingPath, request.targetPath, request.readOnly);
      this.logger.info(
        { volumeId: request.volumeId, targetPath: request.targetPath, readOnly: request.readOnly },
        "volume published",
      );
    });
  }

  unpublishVolume(request: UnpublishVolumeRequest): Promise<void> {
    return this.exclusive(request.volumeId, async () => {
      await this.unmountAll(request.targetPath);
      let info: Awaited<ReturnType<typeof lstat>>;
      try {
        info = await lstat(request.targetPath);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      if (info.isDirectory()) await this.removeEmptyDirectory(request.targetPath);
      else if (info.isFile()) await unlink(request.targetPath);
      else this.logger.info({ path: request.targetPath }, "leaving a target that is no file the driver made");
    });
  }

  volumeStats(request: VolumeStatsRequest): Promise<VolumeStats> {
    return this.volumeStatsOf(request).catch((error: unknown) => {
      throw asPathError(error);
    });
  }

  private async volumeStatsOf(request: VolumeStatsRequest): Promise<VolumeStats> {
    const { volumeId, volumePath } = request;
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(volumePath);
    } catch (error) {
      if (isMissing(error)) throw notFound(`volume_path ${volumePath} does not exist`);
      throw error;
    }
    const hint = { serial: serialOfVolume(volumeId) };
    const linked = await this.discovery.findNow(volumeId, hint).then(
      (device) => ({ device, problem: undefined }),
      (error: unknown) => ({ device: undefined, problem: (error as Error).message }),
    );

    if (info.isBlockDevice()) {
      const numbers = await blockDeviceNumbers(volumePath);
      if (numbers === undefined) throw notFound(`volume_path ${volumePath} is not a block device`);
      if (linked.device !== undefined && !sameDevice(linked.device, numbers)) {
        throw notFound(`volume_path ${volumePath} is not volume ${volumeId}'s device ${linked.device.path}`);
      }
      const size = await this.sysfs.sizeBytes(numbers);
      const usage: VolumeUsageFigures[] = size === undefined ? [] : [{ unit: "bytes", total: size }];
      const condition = await this.deviceCondition(volumeId, numbers, linked);
      return { usage, condition };
    }

    const mounted = await this.mounts.top(volumePath);
    if (mounted === undefined) {
      const staged = request.stagingPath ? await this.mounts.top(request.stagingPath) : undefined;
      if (staged !== undefined && linked.device !== undefined && sameDevice(staged, linked.device)) {
        return {
          usage: [],
          condition: {
            abnormal: true,
            message: `volume ${volumeId} is staged but ${volumePath} is no longer mounted`,
          },
        };
      }
      throw notFound(`volume ${volumeId} is not mounted at ${volumePath}`);
    }
    if (linked.device !== undefined && !sameDevice(linked.device, mounted)) {
      throw notFound(
        `${volumePath} holds ${mounted.source}, not volume ${volumeId}'s device ${linked.device.path}`,
      );
    }
    const condition = await this.deviceCondition(volumeId, mounted, linked);
    try {
      const fs = await statfs(volumePath, { bigint: true });
      return {
        usage: [
          {
            unit: "bytes",
            total: fs.blocks * fs.bsize,
            available: fs.bavail * fs.bsize,
            used: (fs.blocks - fs.bfree) * fs.bsize,
          },
          { unit: "inodes", total: fs.files, available: fs.ffree, used: fs.files - fs.ffree },
        ],
        condition,
      };
    } catch (error) {
      this.metrics.nodeErrors.inc({ operation: "stats", kind: "Internal" });
      return {
        usage: [],
        condition: { abnormal: true, message: `statfs of ${volumePath} failed: ${(error as Error).message}` },
      };
    }
  }

  expandVolume(request: ExpandVolumeRequest): Promise<{ capacityBytes: bigint }> {
    return this.exclusive(request.volumeId, async () => {
      const { volumeId, volumePath } = request;
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(volumePath);
      } catch (error) {
        if (isMissing(error)) throw notFound(`volume_path ${volumePath} does not exist`);
        throw error;
      }
      const linked = await this.discovery.findNow(volumeId, { serial: serialOfVolume(volumeId) });

      if (info.isBlockDevice() || request.access?.kind === "block") {
        const numbers = info.isBlockDevice() ? await blockDeviceNumbers(volumePath) : linked;
        if (numbers === undefined) throw notFound(`no device of volume ${volumeId} at ${volumePath}`);
        if (linked !== undefined && !sameDevice(linked, numbers)) {
          throw notFound(`${volumePath} is not volume ${volumeId}'s device ${linked.path}`);
        }
        return { capacityBytes: await this.requireDeviceSize(volumeId, numbers, request.requiredBytes) };
      }

      const mounted = await this.mounts.top(volumePath);
      if (mounted === undefined) throw notFound(`volume ${volumeId} is not mounted at ${volumePath}`);
      if (linked !== undefined && !sameDevice(linked, mounted)) {
        throw notFound(
          `${volumePath} holds ${mounted.source}, not volume ${volumeId}'s device ${linked.path}`,
        );
      }
      const devicePath = linked?.path ?? mounted.source;
      const deviceNumbers = await blockDeviceNumbers(devicePath).catch(() => undefined);
      if (deviceNumbers === undefined || !sameDevice(deviceNumbers, mounted)) {
        throw failedPrecondition(`the device under ${volumePath} (${mounted.source}) is gone`);
      }
      let fsType: FsType;
      try {
        fsType = checkedFsType("filesystem", mounted.fsType);
      } catch {
        throw failedPrecondition(`${volumePath} holds ${mounted.fsType}, which this driver cannot grow`);
      }
      const deviceBytes = await this.requireDeviceSize(volumeId, deviceNumbers, request.requiredBytes);
      const fsBytes = await this.resizer.filesystemBytes(fsType, devicePath, volumePath);
      if (this.resizer.needsGrowth(fsBytes, deviceBytes)) {
        const writable = await this.writableMountOf(mounted, request.stagingPath);
        if (writable === undefined) {
          throw failedPrecondition(
            `volume ${volumeId} is mounted only read-only on this node (${volumePath}), so its ${fsType} filesystem cannot be grown here; it grows where it is mounted read-write`,
          );
        }
        this.logger.info(
          { volumeId, fsType, fsBytes, deviceBytes, mountPoint: writable },
          "growing filesystem online",
        );
        if (fsType === "ext4") await this.resizer.growExt4Online(devicePath);
        else await this.resizer.growXfs(writable);
      }
      return { capacityBytes: deviceBytes };
    });
  }

  /** Mount-table-derived gauges: a device of ours mounted anywhere counts as staged, further mounts as publications. */
  async refreshGauges(): Promise<void> {
    const devices = await this.linkedDevices();
    const entries = await this.mounts.entries();
    let staged = 0;
    let published = 0;
    for (const device of devices) {
      const mounts = entries.filter((entry) => sameDevice(entry, device)).length;
      if (mounts > 0) staged += 1;
      published += Math.max(0, mounts - 1);
      const nodeName = `/${device.path.slice("/dev/".length)}`;
      published += entries.filter((entry) => entry.fsType === "devtmpfs" && entry.root === nodeName).length;
    }
    this.metrics.nodeVolumesStaged.set(staged);
    this.metrics.nodeVolumesPublished.set(published);
  }

  private async publishBlock(request: PublishVolumeRequest): Promise<void> {
    const device = await this.discovery.find(request.volumeId, request.hint);
    const existing = await this.mounts.top(request.targetPath);
    if (existing !== undefined) {
      const bound = await blockDeviceNumbers(request.targetPath).catch(() => undefined);
      if (bound !== undefined && sameDevice(bound, device)) {
        if (isReadOnly(existing) === request.readOnly) return;
        throw alreadyExists(
          `volume ${request.volumeId} is already published at ${request.targetPath} ${isReadOnly(existing) ? "read-only" : "read-write"}`,
        );
      }
      if (
        bound !== undefined &&
        (await this.sysfs.exists(bound)) &&
        (await this.linkedToOther(bound, request.hint))
      ) {
        throw alreadyExists(`target path ${request.targetPath} already has another volume's device bound`);
      }
      await this.repairStale(request.targetPath, existing);
    }
    await mkdir(dirname(request.targetPath), { recursive: true });
    const handle = await open(request.targetPath, "a");
    await handle.close();
    await this.mounter.bind("block", device.path, request.targetPath, request.readOnly);
    this.logger.info(
      {
        volumeId: request.volumeId,
        device: device.path,
        targetPath: request.targetPath,
        readOnly: request.readOnly,
      },
      "raw block volume published",
    );
  }

  /** Formats a provably blank device, refuses anything it must not touch, grows ext4 offline. */
  private async prepareFilesystem(
    request: StageVolumeRequest,
    access: { fsType: FsType },
    device: FoundDevice,
  ): Promise<void> {
    const contents = await probeDevice(this.exec, device.path);
    if (contents.kind === "blank" && request.sharedReadOnly) {
      throw failedPrecondition(
        `device ${device.path} of volume ${request.volumeId} is blank: a MULTI_NODE_READER_ONLY volume is only ever mounted read-only, so it has no filesystem to serve and none is made; create it with content (from a snapshot or a clone) or use it once with a writer mode`,
      );
    }
    if (contents.kind === "other") {
      throw failedPrecondition(
        `device ${device.path} of volume ${request.volumeId} holds ${contents.description}; refusing to format or mount it as ${access.fsType}`,
      );
    }
    if (contents.kind === "filesystem") {
      if (contents.fsType !== access.fsType) {
        throw failedPrecondition(
          `device ${device.path} of volume ${request.volumeId} already holds a ${contents.fsType} filesystem but ${access.fsType} was requested; nothing was changed`,
        );
      }
      if (access.fsType === "ext4" && !request.readOnly) {
        const deviceBytes = await this.deviceBytes(device);
        const fsBytes = await this.resizer.filesystemBytes("ext4", device.path);
        if (this.resizer.needsGrowth(fsBytes, deviceBytes)) {
          this.logger.info(
            { volumeId: request.volumeId, fsBytes, deviceBytes },
            "growing ext4 offline before mounting",
          );
          await this.resizer.growExt4Offline(device.path);
        }
      }
      return;
    }
    const [command, args] = mkfsCommand(access.fsType, request.mkfsOptions, device.path);
    const end = this.metrics.nodeFormatDuration.startTimer({ fs_type: access.fsType });
    this.logger.info(
      { volumeId: request.volumeId, device: device.path, command, args },
      "formatting blank device",
    );
    try {
      await this.exec.run(command, args, { timeoutMs: 600_000 });
      end({ result: "success" });
    } catch (error) {
      end({ result: "error" });
      this.metrics.nodeErrors.inc({ operation: "format", kind: "Internal" });
      throw internal(
        `formatting ${device.path} as ${access.fsType} failed: ${(error as Error).message}`,
        error,
      );
    }
  }

  /**
   * Whether a mount found at a path is the volume's device and healthy, a leftover whose device
   * went away (or cannot be read), or some other volume's device that must not be touched.
   */
  private async judgeMount(
    entry: MountEntry,
    path: string,
    device: FoundDevice,
    hint: DeviceHint,
  ): Promise<MountVerdict> {
    if (sameDevice(entry, device)) {
      try {
        await stat(path);
        return "ours";
      } catch (error) {
        this.logger.warn({ path, err: error }, "mount of the volume's device is unusable");
        return "stale";
      }
    }
    if (!(await this.sysfs.exists(entry))) return "stale";
    return (await this.linkedToOther(entry, hint)) ? "foreign" : "stale";
  }

  /** Whether some by-id link other than the volume's own resolves to this device. */
  private async linkedToOther(numbers: { major: number; minor: number }, hint: DeviceHint): Promise<boolean> {
    const devices = await this.linkedDevices();
    return devices.some((device) => sameDevice(device, numbers) && !device.link.endsWith(hint.serial));
  }

  private async linkedDevices(): Promise<FoundDevice[]> {
    let names: string[];
    try {
      names = await readdir(this.byIdDir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const devices: FoundDevice[] = [];
    for (const name of names) {
      const link = join(this.byIdDir, name);
      const numbers = await blockDeviceNumbers(link).catch(() => undefined);
      if (numbers !== undefined) devices.push({ path: await realpath(link), link, ...numbers });
    }
    return devices;
  }

  /**
   * Removes the directory a mount was made on, once nothing is mounted there. A directory that
   * still holds files is not one the driver made (it may be kubelet's own), and nothing of ours
   * is mounted on it, so it is left as it is; so is anything that is not a directory.
   */
  private async removeEmptyDirectory(path: string): Promise<void> {
    try {
      await rmdir(path);
    } catch (error) {
      // ENOTDIR (a file, not a directory) counts as missing: there is no directory to remove.
      if (isMissing(error)) return;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST") {
        this.logger.info(
          { path, reason: code },
          "leaving a path that is no empty directory with nothing mounted",
        );
        return;
      }
      throw internal(`removing ${path} failed: ${(error as Error).message}`, error);
    }
  }

  private async repairStale(path: string, entry: MountEntry): Promise<void> {
    this.logger.warn(
      { path, source: entry.source, device: `${entry.major}:${entry.minor}` },
      "unmounting stale mount before redoing it",
    );
    this.metrics.nodeStaleMountRepairs.inc();
    await this.unmountAll(path);
  }

  private async unmountAll(path: string): Promise<void> {
    while ((await this.mounts.top(path)) !== undefined) {
      await this.mounter.unmount(path);
    }
  }

  /**
   * A read-write mount point of the filesystem mounted at `entry`, the staging path first. The
   * kernel refuses to grow a filesystem through a read-only mount (EROFS), and a volume published
   * read-only is a read-only bind of a staging mount that is usually read-write.
   */
  private async writableMountOf(
    entry: MountEntry,
    stagingPath: string | undefined,
  ): Promise<string | undefined> {
    const candidates = (await this.mounts.entries()).filter(
      (other) => sameDevice(other, entry) && !isReadOnly(other),
    );
    const staged = stagingPath === undefined ? undefined : await this.mounts.top(stagingPath);
    const preferred = [staged, entry].find(
      (mount) => mount !== undefined && candidates.some((other) => other.mountId === mount.mountId),
    );
    return (preferred ?? candidates[0])?.mountPoint;
  }

  private async deviceBytes(device: { major: number; minor: number; path?: string }): Promise<bigint> {
    const size = await this.sysfs.sizeBytes(device);
    if (size === undefined)
      throw internal(`cannot read the size of device ${device.path ?? `${device.major}:${device.minor}`}`);
    return size;
  }

  private async requireDeviceSize(
    volumeId: string,
    device: { major: number; minor: number },
    requiredBytes: bigint,
  ): Promise<bigint> {
    const size = await this.deviceBytes(device);
    if (size < requiredBytes) {
      throw unavailable(
        `the device of volume ${volumeId} is ${size} bytes, less than the requested ${requiredBytes}; the cloud has not grown it on this node yet`,
      );
    }
    return size;
  }

  private async deviceCondition(
    volumeId: string,
    numbers: { major: number; minor: number },
    linked: { device: FoundDevice | undefined; problem: string | undefined },
  ): Promise<{ abnormal: boolean; message: string }> {
    if (linked.problem !== undefined) return { abnormal: true, message: linked.problem };
    if (linked.device === undefined) {
      return {
        abnormal: true,
        message: `the device link of volume ${volumeId} is gone from ${this.byIdDir}: the device was detached from this node`,
      };
    }
    if (!(await this.sysfs.exists(numbers))) {
      return {
        abnormal: true,
        message: `device ${numbers.major}:${numbers.minor} of volume ${volumeId} no longer exists`,
      };
    }
    return {
      abnormal: false,
      message: `volume ${volumeId} is mounted and its device ${linked.device.path} is present`,
    };
  }

  private async exclusive<T>(volumeId: string, work: () => Promise<T>): Promise<T> {
    if (this.busyVolumes.has(volumeId)) {
      throw aborted(`an operation on volume ${volumeId} is already in progress on this node`);
    }
    this.busyVolumes.add(volumeId);
    try {
      return await work();
    } catch (error) {
      throw asPathError(error);
    } finally {
      this.busyVolumes.delete(volumeId);
      await this.refreshGauges().catch((error: unknown) =>
        this.logger.warn({ err: error }, "refreshing volume gauges from the mount table failed"),
      );
    }
  }
}
