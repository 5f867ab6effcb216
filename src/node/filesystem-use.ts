import { internal } from "../shared/errors.js";
import type { Exec } from "./exec.js";

/**
 * Whether the filesystem on `device` has been mounted since mkfs made it, from what the kernel
 * writes at a mount. ext4 keeps its last mount time ("n/a" until the first read-write mount;
 * e2fsck resets the mount count but not that time). xfs stamps its superblock with a log
 * sequence number at every mount, read-only ones included; mkfs leaves it 0. A format journal
 * record whose filesystem has been mounted since is no longer proof that the device is the
 * driver's half-done work: somebody may have written to it. Any other filesystem type was not
 * made by the driver, and counts as used.
 */
export async function mountedSinceMkfs(exec: Exec, device: string, fsType: string): Promise<boolean> {
  if (fsType === "ext4") {
    const { stdout } = await run(exec, "dumpe2fs", ["-h", device], device);
    const lastMount = stdout.match(/^Last mount time:\s*(.+)$/m)?.[1]?.trim();
    const count = stdout.match(/^Mount count:\s*(\d+)$/m)?.[1];
    if (lastMount === undefined || count === undefined) {
      throw internal(
        `cannot read the last mount time and mount count of ${device} from dumpe2fs -h, so a format of it that was interrupted is not redone; nothing was changed`,
      );
    }
    return lastMount !== "n/a" || Number(count) > 0;
  }
  if (fsType === "xfs") {
    const { stdout } = await run(exec, "xfs_db", ["-r", "-c", "sb 0", "-c", "print lsn", device], device);
    const lsn = stdout.match(/^lsn = (0x[0-9a-f]+|\d+)$/m)?.[1];
    if (lsn === undefined) {
      throw internal(
        `cannot read the superblock LSN of ${device} from xfs_db, so a format of it that was interrupted is not redone; nothing was changed`,
      );
    }
    return BigInt(lsn) !== 0n;
  }
  return true;
}

async function run(exec: Exec, command: string, args: string[], device: string) {
  try {
    return await exec.run(command, args, { timeoutMs: 30_000 });
  } catch (error) {
    throw internal(
      `cannot tell whether the filesystem on ${device} has been mounted since it was made, so a format of it that was interrupted is not redone; nothing was changed: ${(error as Error).message}`,
      error,
    );
  }
}
