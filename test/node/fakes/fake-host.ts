import { dirname, join, relative } from "node:path";
import type {
  FilesystemUsage,
  HostFs,
  OpenOptions,
  PathInfo,
  ReadHandle,
} from "../../../src/node/host-fs.js";
import { type FakeDevice, type FakeScsi, numbersOf } from "./fake-devices.js";
import { FakeDisk, FS_BLOCK_BYTES } from "./fake-disk.js";
import { FakeMountList } from "./fake-mounts.js";
import { errno, type FakeNode, FakeTree } from "./fake-tree.js";

export const FAKE_BY_ID_DIR = "/dev/disk/by-id";
export const FAKE_SYSFS_ROOT = "/sys";
export const FAKE_MOUNTINFO = "/proc/self/mountinfo";
const VIRTIO_MAJOR = 253;
const LOOP_MAJOR = 7;
const SCSI_MAJOR = 8;
/** Inodes per fake filesystem, and how many a fresh one already uses. */
const FAKE_INODES = 65_536n;
const FAKE_USED_INODES = 11n;

export interface AttachOptions {
  /** Device node name under /dev; the next vdX when absent. */
  name?: string;
  /** virtio serial the device reports; none when absent. */
  serial?: string;
  /** Makes it a loop device backed by this file. */
  backingFile?: string;
  /** Makes it a SCSI disk (the next sdX) reporting this vendor, model and VPD page 0x83. */
  scsi?: FakeScsi;
  /** By-id link names (under /dev/disk/by-id) made for the device. */
  links?: string[];
  /** Device numbers a detach freed, which the kernel hands out again; the next ones when absent. */
  numbers?: { major: number; minor: number };
}

/**
 * A fake Linux host for the node plugin: a file tree, block devices with generated sysfs
 * attributes, and a mount list shown as /proc/self/mountinfo. The host's own disk (/dev/sda1, no
 * serial) is mounted at `/` as on a real machine.
 */
export class FakeHost implements HostFs {
  readonly tree = new FakeTree();
  readonly mounts = new FakeMountList();
  readonly devices = new Map<string, FakeDevice>();
  readonly executables = new Set<string>();
  /** How many times each path was opened for reading, and how many of those handles are still open. */
  readonly readOpens = new Map<string, { opened: number; open: number }>();
  /** Files removed without flushing their directory, and what they held (see powerLoss). */
  private readonly unflushedRemovals = new Map<string, Buffer>();
  /** How many times /proc/self/mountinfo was read. */
  mountInfoReads = 0;
  /** The options of every open for reading, in order. */
  readonly readOpenOptions: OpenOptions[] = [];
  /** Every read through an open handle, in the order the reads were started. */
  readonly handleReads: { path: string; offset: bigint; length: number }[] = [];
  /** Runs before each read through an open handle answers; what it throws, the read throws. */
  beforeHandleRead: ((path: string, offset: bigint) => void) | undefined;
  /** Runs before readdir and readText answer: what happens on the machine between the node's looks. */
  beforeRead: ((path: string) => void) | undefined;
  private nextVirtio = 0;
  private nextLoop = 0;
  private nextScsi = 1;

  constructor() {
    for (const directory of ["/dev", FAKE_BY_ID_DIR, "/proc/self", "/var/lib/kubelet", "/tmp"]) {
      this.tree.mkdirp(directory);
    }
    const rootDisk = new FakeDisk(100n * 1024n ** 3n);
    rootDisk.makeFilesystem("ext4", "00000000-0000-4000-8000-000000000001");
    const root = this.attach(rootDisk, { name: "sda1" });
    this.mounts.add({
      ...root,
      root: "/",
      mountPoint: "/",
      options: ["rw", "relatime"],
      fsType: "ext4",
      source: root.path,
      disk: rootDisk,
      boundDevice: undefined,
    });
  }

  /** Attaches a disk as the cloud would: a device node, its sysfs entry and its by-id links. */
  attach(disk: FakeDisk, options: AttachOptions = {}): FakeDevice {
    const loop = options.backingFile !== undefined;
    const name =
      options.name ??
      (options.scsi !== undefined
        ? `sd${String.fromCharCode(97 + this.nextScsi++)}`
        : loop
          ? `loop${this.nextLoop}`
          : `vd${String.fromCharCode(98 + this.nextVirtio)}`);
    const major =
      options.numbers?.major ?? (name.startsWith("sd") ? SCSI_MAJOR : loop ? LOOP_MAJOR : VIRTIO_MAJOR);
    const minor =
      options.numbers?.minor ??
      (major === SCSI_MAJOR ? scsiMinor(name) : loop ? this.nextLoop++ : this.nextVirtio++ * 16);
    const device: FakeDevice = {
      path: `/dev/${name}`,
      major,
      minor,
      disk,
      serial: options.serial,
      backingFile: options.backingFile,
      scsi: options.scsi,
    };
    this.devices.set(numbersOf(device), device);
    this.tree.place(device.path, { kind: "block-device", device });
    for (const link of options.links ?? []) {
      this.tree.place(join(FAKE_BY_ID_DIR, link), { kind: "symlink", target: `../../${name}` });
    }
    return device;
  }

  /** Detaches a device: its node, sysfs entry and links go; mounts of it stay, now stale. */
  detach(device: FakeDevice): void {
    this.devices.delete(numbersOf(device));
    this.tree.remove(device.path);
    for (const name of this.tree.children(FAKE_BY_ID_DIR)) {
      const link = join(FAKE_BY_ID_DIR, name);
      const node = this.tree.get(link);
      if (node?.kind === "symlink" && join(FAKE_BY_ID_DIR, node.target) === device.path)
        this.tree.remove(link);
    }
  }

  /** Mounts a tmpfs, as somebody other than the driver might. */
  mountTmpfs(path: string): void {
    const mountPoint = this.tree.resolve(path) ?? path;
    this.mounts.add({
      major: 0,
      minor: 50,
      root: "/",
      mountPoint,
      options: ["rw", "relatime"],
      fsType: "tmpfs",
      source: "tmpfs",
      disk: undefined,
      boundDevice: undefined,
    });
  }

  writeFile(path: string, content: string | Buffer): void {
    this.tree.place(path, { kind: "file", content: Buffer.from(content) });
  }

  async lstat(path: string): Promise<PathInfo | undefined> {
    return this.info(path, false);
  }

  async stat(path: string): Promise<PathInfo | undefined> {
    return this.info(path, true);
  }

  private info(path: string, follow: boolean): PathInfo | undefined {
    const found = this.tree.lookup(path, follow);
    if (found === undefined) return undefined;
    const bound = this.mounts.top(found.path)?.boundDevice;
    if (bound !== undefined) return { kind: "block-device", size: 0n, device: { ...bound } };
    return describe(found.node);
  }

  async realpath(path: string): Promise<string | undefined> {
    return this.tree.lookup(path)?.path;
  }

  async readdir(path: string): Promise<string[]> {
    this.beforeRead?.(path);
    const found = this.tree.lookup(path);
    return found?.node.kind === "directory" ? this.tree.children(found.path) : [];
  }

  async readText(path: string): Promise<string | undefined> {
    this.beforeRead?.(path);
    if (path === FAKE_MOUNTINFO) {
      this.mountInfoReads += 1;
      return this.mounts.mountInfo();
    }
    if (path.startsWith(`${FAKE_SYSFS_ROOT}/dev/block/`)) return this.sysfsAttribute(path);
    const found = this.tree.lookup(path);
    if (found === undefined) return undefined;
    if (found.node.kind !== "file") throw errno("EISDIR", "read", path);
    return found.node.content.toString("utf8");
  }

  private sysfsAttribute(path: string): string | undefined {
    const [numbers, ...attribute] = relative(join(FAKE_SYSFS_ROOT, "dev", "block"), path).split("/");
    const device = numbers === undefined ? undefined : this.devices.get(numbers);
    if (device === undefined) return undefined;
    switch (attribute.join("/")) {
      case "dev":
        return `${numbers}\n`;
      case "size":
        return `${device.disk.sizeBytes / 512n}\n`;
      case "serial":
        return device.serial === undefined ? undefined : `${device.serial}\n`;
      case "loop/backing_file":
        return device.backingFile === undefined ? undefined : `${device.backingFile}\n`;
      case "device/vendor":
        return device.scsi === undefined ? undefined : `${device.scsi.vendor.padEnd(8)}\n`;
      case "device/model":
        return device.scsi === undefined ? undefined : `${device.scsi.model.padEnd(16)}\n`;
      default:
        return undefined;
    }
  }

  /** The binary sysfs attribute `device/vpd_pg83`, the only one the node reads as bytes. */
  private sysfsBytes(path: string, offset: bigint, length: number): Buffer {
    const [numbers, ...attribute] = relative(join(FAKE_SYSFS_ROOT, "dev", "block"), path).split("/");
    const page = numbers === undefined ? undefined : this.devices.get(numbers)?.scsi?.vpdPage83;
    if (attribute.join("/") !== "device/vpd_pg83" || page === undefined) throw errno("ENOENT", "open", path);
    return page.subarray(Number(offset), Number(offset) + length);
  }

  async mkdirp(path: string): Promise<string | undefined> {
    return this.tree.mkdirp(path);
  }

  async rmdir(path: string): Promise<void> {
    const found = this.tree.lookup(path, false);
    if (found === undefined) throw errno("ENOENT", "rmdir", path);
    if (found.node.kind !== "directory") throw errno("ENOTDIR", "rmdir", path);
    if (this.mounts.top(found.path) !== undefined) throw errno("EBUSY", "rmdir", path);
    if (this.tree.children(found.path).length > 0) throw errno("ENOTEMPTY", "rmdir", path);
    this.tree.remove(found.path);
  }

  async unlink(path: string): Promise<void> {
    const found = this.tree.lookup(path, false);
    if (found === undefined) throw errno("ENOENT", "unlink", path);
    if (found.node.kind === "directory") throw errno("EISDIR", "unlink", path);
    if (this.mounts.top(found.path) !== undefined) throw errno("EBUSY", "unlink", path);
    if (found.node.kind === "file") this.unflushedRemovals.set(found.path, found.node.content);
    this.tree.remove(found.path);
  }

  async removeDurably(path: string): Promise<void> {
    if (this.tree.lookup(path, false) === undefined) return;
    await this.unlink(path);
    this.unflushedRemovals.delete(path);
  }

  /**
   * What a power loss does to the files: a removal whose directory was never flushed is undone
   * (as a journalling filesystem that had not committed it yet would), the file back as it was.
   */
  powerLoss(): void {
    for (const [path, content] of this.unflushedRemovals) {
      if (this.tree.lookup(dirname(path)) !== undefined) this.writeFile(path, content);
    }
    this.unflushedRemovals.clear();
  }

  async touch(path: string): Promise<void> {
    if (this.tree.lookup(path) === undefined) this.writeFile(path, "");
  }

  async writeDurably(path: string, text: string): Promise<void> {
    if (this.tree.lookup(dirname(path)) === undefined) throw errno("ENOENT", "open", path);
    this.writeFile(path, text);
    this.unflushedRemovals.delete(path);
  }

  async statfs(path: string): Promise<FilesystemUsage> {
    const resolved = this.tree.resolve(path);
    if (resolved === undefined || this.tree.get(resolved) === undefined)
      throw errno("ENOENT", "statfs", path);
    const filesystem = this.mounts.covering(resolved)?.disk?.filesystem;
    const blocks = (filesystem?.sizeBytes ?? 64n * 1024n * 1024n) / FS_BLOCK_BYTES;
    const used = blocks / 50n;
    return {
      blockSize: FS_BLOCK_BYTES,
      blocks,
      blocksFree: blocks - used,
      blocksAvailable: blocks - used,
      inodes: FAKE_INODES,
      inodesFree: FAKE_INODES - FAKE_USED_INODES,
    };
  }

  async readAt(path: string, offset: bigint, length: number): Promise<Buffer> {
    if (path.startsWith(`${FAKE_SYSFS_ROOT}/dev/block/`)) return this.sysfsBytes(path, offset, length);
    const found = this.tree.lookup(path);
    if (found === undefined) throw errno("ENOENT", "open", path);
    if (found.node.kind === "file")
      return found.node.content.subarray(Number(offset), Number(offset) + length);
    if (found.node.kind !== "block-device") throw errno("EISDIR", "read", path);
    const { disk } = found.node.device;
    if (disk.readError !== undefined) {
      const error = errno("EIO", "read", path);
      error.message = `EIO: ${disk.readError}, read`;
      throw error;
    }
    return disk.read(offset, length);
  }

  async openForReading(path: string, options: OpenOptions = {}): Promise<ReadHandle> {
    this.readOpenOptions.push(options);
    const found = this.tree.lookup(path);
    if (found === undefined) throw errno("ENOENT", "open", path);
    if (found.node.kind === "directory") throw errno("EISDIR", "open", path);
    const count = this.readOpens.get(path) ?? { opened: 0, open: 0 };
    this.readOpens.set(path, { opened: count.opened + 1, open: count.open + 1 });
    let closed = false;
    return {
      readInto: async (into, offset) => {
        if (closed) throw errno("EBADF", "read", path);
        this.handleReads.push({ path, offset, length: into.length });
        this.beforeHandleRead?.(path, offset);
        const bytes = await this.readAt(path, offset, into.length);
        bytes.copy(into);
        return bytes.length;
      },
      allocate: (bytes) => Buffer.alloc(bytes),
      close: async () => {
        if (closed) throw errno("EBADF", "close", path);
        closed = true;
        const now = this.readOpens.get(path);
        if (now !== undefined) now.open -= 1;
      },
    };
  }

  async isExecutable(path: string): Promise<boolean> {
    return this.executables.has(path);
  }

  /** The device node a path resolves to, if it is one. */
  deviceAt(path: string): FakeDevice | undefined {
    const node: FakeNode | undefined = this.tree.lookup(path)?.node;
    return node?.kind === "block-device" ? node.device : undefined;
  }
}

/** sd minors: 16 a disk (sda 0, sdb 16, …) plus the partition number (sda1 is 1). */
function scsiMinor(name: string): number {
  const partition = Number(name.slice(3) || "0");
  return (name.charCodeAt(2) - 97) * 16 + partition;
}

function describe(node: FakeNode): PathInfo {
  switch (node.kind) {
    case "directory":
      return { kind: "directory", size: 4096n };
    case "file":
      return { kind: "file", size: BigInt(node.content.length) };
    case "symlink":
      return { kind: "symlink", size: BigInt(node.target.length) };
    case "block-device":
      return {
        kind: "block-device",
        size: 0n,
        device: { major: node.device.major, minor: node.device.minor },
      };
  }
}
