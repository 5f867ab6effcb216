import { basename, join, relative } from "node:path";
import { type Exec, ExecError, type ExecOptions, type ExecResult } from "../../../src/node/exec.js";
import type { FakeDevice } from "./fake-devices.js";
import { type FakeFilesystem, FS_BLOCK_BYTES } from "./fake-disk.js";
import type { FakeHost } from "./fake-host.js";

/** What a program did: its stdout, or the exit code and stderr it failed with. */
type Outcome = { stdout: string } | { exitCode: number; stderr: string; stdout?: string };

const ok = (stdout = ""): Outcome => ({ stdout });
const fail = (exitCode: number, stderr: string): Outcome => ({ exitCode, stderr });

/**
 * The programs the node runs, acting on a FakeHost the way the real ones act on a machine: mount
 * refuses a device without a filesystem, mkfs writes one with the UUID it was given, blkid and
 * wipefs report signatures, the resize tools grow a filesystem to its device. Every call is
 * recorded, in order.
 */
export class FakeExec implements Exec {
  readonly calls: string[][] = [];
  /** Runs once a call is recorded, before the program acts: what changes on the machine meanwhile. */
  beforeRun: ((command: string) => void) | undefined;
  private readonly crashes = new Set<string>();

  constructor(private readonly host: FakeHost) {}

  /** The programs run so far, by name. */
  commands(): string[] {
    return this.calls.map(([command]) => basename(command ?? ""));
  }

  /** The next run of `command` is killed (SIGKILL) after it has written part of the device. */
  crashDuring(command: string): void {
    this.crashes.add(command);
  }

  async run(command: string, args: readonly string[], _options?: ExecOptions): Promise<ExecResult> {
    this.calls.push([command, ...args]);
    this.beforeRun?.(basename(command));
    if (this.crashes.delete(command)) {
      this.deviceArg(args)?.disk.write(0x400n, Buffer.alloc(4096, 0x5a));
      throw new ExecError(command, args, null, "SIGKILL", "", "", false);
    }
    const outcome = this.outcome(basename(command), args);
    if ("exitCode" in outcome) {
      throw new ExecError(command, args, outcome.exitCode, null, outcome.stdout ?? "", outcome.stderr, false);
    }
    return { stdout: outcome.stdout, stderr: "" };
  }

  private outcome(command: string, args: readonly string[]): Outcome {
    switch (command) {
      case "mount":
        return args[0] === "--bind" ? this.bind(args) : this.mount(args);
      case "umount":
        return this.umount(args);
      case "mkfs.ext4":
      case "mkfs.xfs":
        return this.mkfs(command === "mkfs.ext4" ? "ext4" : "xfs", args);
      case "blkid":
        return this.blkid(args);
      case "wipefs":
        return this.wipefs(args);
      case "dumpe2fs":
        return this.dumpe2fs(args);
      case "xfs_info":
        return this.xfsInfo(args);
      case "xfs_db":
        return this.xfsDb(args);
      case "resize2fs":
        return this.resize2fs(args);
      case "e2fsck":
        return this.e2fsck(args);
      case "xfs_growfs":
        return this.xfsGrowfs(args);
      case "udevadm":
        return ok();
      default:
        return fail(127, `${command}: command not found`);
    }
  }

  private deviceArg(args: readonly string[]): FakeDevice | undefined {
    const last = args.at(-1);
    return last === undefined ? undefined : this.host.deviceAt(last);
  }

  private isMounted(device: FakeDevice): boolean {
    return this.host.mounts.entries.some(
      (entry) => entry.major === device.major && entry.minor === device.minor,
    );
  }

  private mountPointOf(path: string | undefined): string | undefined {
    const resolved = path === undefined ? undefined : this.host.tree.lookup(path);
    return resolved?.node.kind === "directory" || resolved?.node.kind === "file" ? resolved.path : undefined;
  }

  /** mount -t TYPE [-o OPTIONS] DEVICE TARGET */
  private mount(args: readonly string[]): Outcome {
    const fsType = args[args.indexOf("-t") + 1];
    const optionAt = args.indexOf("-o");
    const options = optionAt < 0 ? [] : (args[optionAt + 1] ?? "").split(",");
    const [source, target] = args.slice(-2);
    const device = source === undefined ? undefined : this.host.deviceAt(source);
    const mountPoint = this.mountPointOf(target);
    if (device === undefined) return fail(32, `mount: ${target}: special device ${source} does not exist.`);
    if (mountPoint === undefined) return fail(32, `mount: ${target}: mount point does not exist.`);
    const filesystem = device.disk.filesystem;
    if (filesystem === undefined || filesystem.type !== fsType || device.disk.signatures.length > 0) {
      return fail(32, `mount: ${target}: wrong fs type, bad option, bad superblock on ${source}.`);
    }
    if (filesystem.type === "xfs" || !options.includes("ro")) filesystem.mountedSinceMkfs = true;
    this.host.mounts.add({
      major: device.major,
      minor: device.minor,
      root: "/",
      mountPoint,
      options: [options.includes("ro") ? "ro" : "rw", "relatime"],
      fsType: filesystem.type,
      source: device.path,
      disk: device.disk,
      boundDevice: undefined,
    });
    return ok();
  }

  /**
   * mount --bind [-o ro] SOURCE TARGET: a directory of a mount, or a device node for raw block. A
   * bind of a read-only mount is read-only even without `-o ro`: the kernel copies the flag.
   */
  private bind(args: readonly string[]): Outcome {
    const [source, target] = args.slice(-2);
    const mountPoint = this.mountPointOf(target);
    const from = source === undefined ? undefined : this.host.tree.lookup(source);
    if (from === undefined) return fail(32, `mount: ${target}: special device ${source} does not exist.`);
    if (mountPoint === undefined) return fail(32, `mount: ${target}: mount point does not exist.`);
    const under = this.host.mounts.covering(from.path);
    const readOnly =
      (args.includes("-o") && args[args.indexOf("-o") + 1] === "ro") ||
      under?.options.includes("ro") === true;
    const options = [readOnly ? "ro" : "rw", "relatime"];
    if (from.node.kind === "block-device") {
      const { device } = from.node;
      this.host.mounts.add({
        major: 0,
        minor: 5,
        root: `/${relative("/dev", device.path)}`,
        mountPoint,
        options,
        fsType: "devtmpfs",
        source: "udev",
        disk: device.disk,
        boundDevice: { major: device.major, minor: device.minor },
      });
      return ok();
    }
    if (under === undefined) return fail(32, `mount: ${source}: not on any mount`);
    this.host.mounts.add({
      ...under,
      root: join(under.root, relative(under.mountPoint, from.path)),
      mountPoint,
      options,
    });
    return ok();
  }

  private umount(args: readonly string[]): Outcome {
    const target = args.at(-1) ?? "";
    const mountPoint = this.host.tree.resolve(target) ?? target;
    const top = this.host.mounts.top(mountPoint) ?? this.host.mounts.top(target);
    if (top === undefined) return fail(32, `umount: ${target}: not mounted.`);
    this.host.mounts.remove(top);
    return ok();
  }

  private mkfs(type: FakeFilesystem["type"], args: readonly string[]): Outcome {
    const device = this.deviceArg(args);
    const name = `mkfs.${type}`;
    if (device === undefined)
      return fail(1, `${name}: cannot open ${args.at(-1)}: No such file or directory`);
    if (this.isMounted(device)) return fail(1, `${name}: ${device.path} contains a mounted filesystem`);
    const uuid =
      type === "ext4"
        ? args[args.indexOf("-U") + 1]
        : args.find((arg) => arg.startsWith("uuid="))?.slice("uuid=".length);
    if (uuid === undefined || uuid === "") return fail(1, `${name}: the fake needs an explicit UUID`);
    if (type === "xfs" && !args.includes("-f") && device.disk.allSignatures().length > 0) {
      return fail(
        1,
        `mkfs.xfs: ${device.path} appears to contain an existing filesystem (${device.disk.allSignatures()[0]?.type}).\nmkfs.xfs: Use the -f option to force overwrite.`,
      );
    }
    if (type === "ext4" && !args.includes("-F") && device.disk.allSignatures().length > 0) {
      return fail(1, `mke2fs: ${device.path} contains a ${device.disk.allSignatures()[0]?.type} file system`);
    }
    device.disk.makeFilesystem(type, uuid);
    return ok();
  }

  /** blkid -p -o export DEVICE: exit 2 for nothing, 8 when signatures contradict each other. */
  private blkid(args: readonly string[]): Outcome {
    const device = this.deviceArg(args);
    if (device === undefined) return fail(2, "");
    const signatures = device.disk.allSignatures();
    const [only] = signatures;
    if (only === undefined) return fail(2, "");
    if (signatures.length > 1) {
      const names = signatures.map((signature) => signature.type).join(", ");
      return fail(8, `${device.path}: ambivalent result (probably more filesystems on the device: ${names})`);
    }
    const fields =
      only.usage === "partition_table"
        ? [`DEVNAME=${device.path}`, `PTTYPE=${only.type}`]
        : [
            `DEVNAME=${device.path}`,
            ...(only.uuid === undefined ? [] : [`UUID=${only.uuid}`]),
            `TYPE=${only.type}`,
            `USAGE=${only.usage}`,
          ];
    return ok(`${fields.join("\n")}\n`);
  }

  /** wipefs --no-act --json DEVICE: prints nothing at all when there is no signature. */
  private wipefs(args: readonly string[]): Outcome {
    const device = this.deviceArg(args);
    if (device === undefined) return fail(1, `wipefs: error: ${args.at(-1)}: probing initialization failed`);
    const signatures = device.disk.allSignatures().map((signature) => ({
      device: basename(device.path),
      offset: `0x${signature.offset.toString(16)}`,
      type: signature.type,
      uuid: signature.uuid ?? null,
      label: null,
    }));
    return ok(signatures.length === 0 ? "" : JSON.stringify({ signatures }, null, 3));
  }

  private filesystemAt(path: string | undefined, type: FakeFilesystem["type"]): FakeFilesystem | undefined {
    if (path === undefined) return undefined;
    const device = this.host.deviceAt(path);
    const filesystem =
      device?.disk.filesystem ?? this.host.mounts.top(this.mountPointOf(path) ?? path)?.disk?.filesystem;
    return filesystem?.type === type ? filesystem : undefined;
  }

  private dumpe2fs(args: readonly string[]): Outcome {
    const filesystem = this.filesystemAt(args.at(-1), "ext4");
    if (filesystem === undefined)
      return fail(1, `dumpe2fs: Bad magic number in super-block while trying to open ${args.at(-1)}`);
    const lastMount = filesystem.mountedSinceMkfs ? "Thu Jan  1 00:00:00 2026" : "n/a";
    return ok(
      `Filesystem UUID:          ${filesystem.uuid}\nMount count:              ${filesystem.mountedSinceMkfs ? 1 : 0}\nBlock count:              ${filesystem.sizeBytes / FS_BLOCK_BYTES}\nBlock size:               ${FS_BLOCK_BYTES}\nLast mount time:          ${lastMount}\n`,
    );
  }

  /** xfs_db -r -c "sb 0" -c "print lsn" DEVICE: the superblock's LSN, 0 until the first mount. */
  private xfsDb(args: readonly string[]): Outcome {
    const filesystem = this.filesystemAt(args.at(-1), "xfs");
    if (filesystem === undefined) {
      return fail(
        1,
        `xfs_db: ${args.at(-1)} is not a valid XFS filesystem (unexpected SB magic number 0x00000000)`,
      );
    }
    return ok(`lsn = ${filesystem.mountedSinceMkfs ? "0x100000002" : "0"}\n`);
  }

  private xfsInfo(args: readonly string[]): Outcome {
    const filesystem = this.filesystemAt(args.at(-1), "xfs");
    if (filesystem === undefined) return fail(1, `xfs_info: ${args.at(-1)} is not a valid XFS filesystem`);
    return ok(
      `meta-data=${args.at(-1)}  isize=512    agcount=4, agsize=65536 blks\ndata     =                       bsize=${FS_BLOCK_BYTES}   blocks=${filesystem.sizeBytes / FS_BLOCK_BYTES}, imaxpct=25\n`,
    );
  }

  /** resize2fs DEVICE: online when mounted; offline only right after e2fsck -f, as the real one insists. */
  private resize2fs(args: readonly string[]): Outcome {
    const device = this.deviceArg(args);
    const filesystem = device?.disk.filesystem;
    if (device === undefined || filesystem?.type !== "ext4") {
      return fail(1, `resize2fs: Bad magic number in super-block while trying to open ${args.at(-1)}`);
    }
    if (!this.isMounted(device) && !filesystem.checked) {
      return fail(1, `Please run 'e2fsck -f ${device.path}' first.`);
    }
    filesystem.sizeBytes = (device.disk.sizeBytes / FS_BLOCK_BYTES) * FS_BLOCK_BYTES;
    filesystem.checked = false;
    return ok();
  }

  private e2fsck(args: readonly string[]): Outcome {
    const device = this.deviceArg(args);
    if (device?.disk.filesystem?.type !== "ext4") return fail(8, `e2fsck: Bad magic number in super-block`);
    if (this.isMounted(device)) return fail(8, `e2fsck: ${device.path} is mounted.`);
    device.disk.filesystem.checked = true;
    return ok();
  }

  /** xfs_growfs -d MOUNTPOINT: xfs grows only while mounted read-write. */
  private xfsGrowfs(args: readonly string[]): Outcome {
    const mountPoint = this.mountPointOf(args.at(-1));
    const mount = mountPoint === undefined ? undefined : this.host.mounts.top(mountPoint);
    const filesystem = mount?.disk?.filesystem;
    if (mount === undefined || filesystem?.type !== "xfs") {
      return fail(1, `xfs_growfs: ${args.at(-1)} is not a mounted XFS filesystem`);
    }
    if (mount.options.includes("ro"))
      return fail(1, "xfs_growfs: XFS_IOC_FSGROWFSDATA xfsctl failed: Read-only file system");
    filesystem.sizeBytes = ((mount.disk?.sizeBytes ?? 0n) / FS_BLOCK_BYTES) * FS_BLOCK_BYTES;
    return ok();
  }
}
