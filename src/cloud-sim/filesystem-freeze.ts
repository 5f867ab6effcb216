import { readFile, stat } from "node:fs/promises";
import type { WriteHold } from "./engine/write-hold.js";
import type { LoopDevices } from "./loop-devices.js";
import type { RunProgram } from "./run-program.js";
import type { VolumeFiles } from "./volume-files.js";

const FREEZE_TIMEOUT_MS = 30_000;

export interface FilesystemFreezeDependencies {
  loops: Pick<LoopDevices, "list">;
  files: Pick<VolumeFiles, "volumePath">;
  run: RunProgram;
  /** The text of /proc/self/mountinfo. */
  readMountInfo?: () => Promise<string>;
  /** A block device's `major:minor`. */
  deviceNumber?: (devicePath: string) => Promise<string>;
}

/** `major:minor` of a block device, as mountinfo's third field writes it. */
async function blockDeviceNumber(devicePath: string): Promise<string> {
  const { rdev } = await stat(devicePath);
  const major = (rdev >> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return `${major}:${minor}`;
}

/** mountinfo escapes space, tab, newline and backslash in paths as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The first mount point of each device number in mountinfo. */
export function mountPointsByDevice(mountInfo: string): Map<string, string> {
  const points = new Map<string, string>();
  for (const line of mountInfo.split("\n")) {
    const fields = line.split(" ");
    const device = fields[2];
    const mountPoint = fields[4];
    if (device === undefined || mountPoint === undefined || points.has(device)) continue;
    points.set(device, unescapeMountPath(mountPoint));
  }
  return points;
}

/**
 * Holds the writes to volumes attached on this machine the one way a loop device allows: the
 * filesystem mounted on it is frozen (fsfreeze), which lets writes in flight finish, flushes
 * them to the volume's file and makes new writes wait until it is thawed. A volume attached but
 * not mounted (a raw block volume) has its buffers flushed, but a loop device cannot make its
 * writers wait, so writes to it during the hold are not held; docs/reference-cloud.md says so.
 */
export class FilesystemFreeze implements WriteHold {
  private readonly readMountInfo: () => Promise<string>;
  private readonly deviceNumber: (devicePath: string) => Promise<string>;

  constructor(private readonly deps: FilesystemFreezeDependencies) {
    this.readMountInfo = deps.readMountInfo ?? (() => readFile("/proc/self/mountinfo", "utf8"));
    this.deviceNumber = deps.deviceNumber ?? blockDeviceNumber;
  }

  async hold(volumeIds: readonly string[]): Promise<() => Promise<void>> {
    const files = new Set(volumeIds.map((id) => this.deps.files.volumePath(id)));
    const devices = (await this.deps.loops.list())
      .filter((loop) => files.has(loop.backingFile))
      .map((loop) => loop.device);
    if (devices.length === 0) return async () => undefined;
    const mountPoints = mountPointsByDevice(await this.readMountInfo());
    const toFreeze: string[] = [];
    for (const device of devices) {
      const mountPoint = mountPoints.get(await this.deviceNumber(device));
      if (mountPoint === undefined) {
        await this.deps.run("blockdev", ["--flushbufs", device], { timeoutMs: FREEZE_TIMEOUT_MS });
      } else if (!toFreeze.includes(mountPoint)) {
        toFreeze.push(mountPoint);
      }
    }
    const frozen: string[] = [];
    try {
      for (const mountPoint of toFreeze) {
        await this.deps.run("fsfreeze", ["--freeze", "--", mountPoint], { timeoutMs: FREEZE_TIMEOUT_MS });
        frozen.push(mountPoint);
      }
    } catch (error) {
      await this.thaw(frozen);
      throw error;
    }
    return () => this.thaw(frozen);
  }

  /** Thaws every frozen filesystem, also when one of them fails, then reports the first failure. */
  private async thaw(mountPoints: readonly string[]): Promise<void> {
    const outcomes = await Promise.allSettled(
      mountPoints.map((mountPoint) =>
        this.deps.run("fsfreeze", ["--unfreeze", "--", mountPoint], { timeoutMs: FREEZE_TIMEOUT_MS }),
      ),
    );
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}
