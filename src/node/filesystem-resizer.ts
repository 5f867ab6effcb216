import type { Metrics } from "../observability/metrics.js";
import { BallastError, internal } from "../shared/errors.js";
import { type Exec, ExecError } from "./exec.js";
import type { FsType } from "./filesystem-type.js";

/** Growth smaller than this is rounding (block and allocation-group alignment), not missing space. */
const GROWTH_THRESHOLD_BYTES = 1024n * 1024n;

/** Reads filesystem sizes and grows ext4 and xfs to fill their device. */
export class FilesystemResizer {
  constructor(
    private readonly exec: Exec,
    private readonly metrics: Metrics,
  ) {}

  /** Bytes the filesystem spans on its device (not what statfs reports as usable). */
  async filesystemBytes(fsType: FsType, device: string, mountPoint?: string): Promise<bigint> {
    if (fsType === "ext4") {
      const { stdout } = await this.exec.run("dumpe2fs", ["-h", device], { timeoutMs: 30_000 });
      return (
        numberAfter(stdout, /^Block count:\s+(\d+)/m, device) *
        numberAfter(stdout, /^Block size:\s+(\d+)/m, device)
      );
    }
    const { stdout } = await this.exec.run("xfs_info", [mountPoint ?? device], { timeoutMs: 30_000 });
    const data = stdout.match(/^data\s+=\s+bsize=(\d+)\s+blocks=(\d+)/m);
    if (!data?.[1] || !data[2]) throw internal(`cannot read the xfs data size of ${device} from xfs_info`);
    return BigInt(data[1]) * BigInt(data[2]);
  }

  needsGrowth(filesystemBytes: bigint, deviceBytes: bigint): boolean {
    return deviceBytes - filesystemBytes > GROWTH_THRESHOLD_BYTES;
  }

  /** ext4 before it is mounted: resize2fs insists on a fresh forced check first. */
  async growExt4Offline(device: string): Promise<void> {
    await this.timed("ext4", async () => {
      await this.exec
        .run("e2fsck", ["-f", "-p", device], { timeoutMs: 600_000, expectedExitCodes: [1] })
        .catch((error: unknown) => {
          if (error instanceof ExecError && error.exitCode === 1) return;
          throw internal(
            `checking ext4 on ${device} before growing it failed: ${(error as Error).message}`,
            error,
          );
        });
      await this.exec.run("resize2fs", [device], { timeoutMs: 600_000 }).catch((error: unknown) => {
        throw internal(`growing ext4 on ${device} failed: ${(error as Error).message}`, error);
      });
    });
  }

  /**
   * ext4 while mounted. The kernel only lets a process holding CAP_SYS_RESOURCE grow a mounted
   * ext4 (resize2fs then says "Permission denied to resize filesystem"); say so plainly.
   */
  async growExt4Online(device: string): Promise<void> {
    await this.timed("ext4", () =>
      this.exec.run("resize2fs", [device], { timeoutMs: 600_000 }).then(
        () => undefined,
        (error: unknown) => {
          const stderr = error instanceof ExecError ? error.stderr : "";
          if (/Permission denied to resize filesystem/i.test(stderr)) {
            throw new BallastError(
              "PermissionDenied",
              `growing the mounted ext4 on ${device} needs CAP_SYS_RESOURCE, which the driver process lacks (run the node plugin privileged); resize2fs said: ${stderr.trim()}`,
              { cause: error },
            );
          }
          throw internal(`growing ext4 on ${device} failed: ${(error as Error).message}`, error);
        },
      ),
    );
  }

  /** xfs grows only while mounted, through its mount point. */
  async growXfs(mountPoint: string): Promise<void> {
    await this.timed("xfs", () =>
      this.exec.run("xfs_growfs", ["-d", mountPoint], { timeoutMs: 600_000 }).then(
        () => undefined,
        (error: unknown) => {
          throw internal(`growing xfs at ${mountPoint} failed: ${(error as Error).message}`, error);
        },
      ),
    );
  }

  private async timed(fsType: FsType, work: () => Promise<void>): Promise<void> {
    const end = this.metrics.nodeResizeDuration.startTimer({ fs_type: fsType });
    try {
      await work();
      end({ result: "success" });
    } catch (error) {
      end({ result: "error" });
      this.metrics.nodeErrors.inc({
        operation: "resize",
        kind: error instanceof BallastError ? error.kind : "Internal",
      });
      throw error;
    }
  }
}

function numberAfter(text: string, pattern: RegExp, device: string): bigint {
  const value = text.match(pattern)?.[1];
  if (value === undefined) throw internal(`cannot read ${pattern.source} of ${device} from dumpe2fs`);
  return BigInt(value);
}
