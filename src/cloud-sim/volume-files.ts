import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { RunProgram } from "./run-program.js";

/**
 * The sparse files behind volumes and snapshots under the data dir. Copies go through
 * `cp --sparse=always` so holes stay holes and a 1 TiB volume with little data copies quickly.
 */
export class VolumeFiles {
  readonly volumesDir: string;
  readonly snapshotsDir: string;

  constructor(
    dataDir: string,
    private readonly run: RunProgram,
  ) {
    this.volumesDir = join(dataDir, "volumes");
    this.snapshotsDir = join(dataDir, "snapshots");
  }

  async prepare(): Promise<void> {
    await mkdir(this.volumesDir, { recursive: true });
    await mkdir(this.snapshotsDir, { recursive: true });
  }

  volumePath(volumeId: string): string {
    return join(this.volumesDir, `${volumeId}.img`);
  }

  snapshotPath(snapshotId: string): string {
    return join(this.snapshotsDir, `${snapshotId}.img`);
  }

  /** Where a snapshot's capture writes until it is complete; only a finished copy has the `.img` name. */
  partialSnapshotPath(snapshotId: string): string {
    return `${this.snapshotPath(snapshotId)}.partial`;
  }

  /**
   * Copies a volume's file into a snapshot's: reflinked where the filesystem shares extents (so
   * the copy is instant), sparse otherwise. It writes a `.partial` and renames it when done, so a
   * crash never leaves a torn file under the snapshot's name.
   */
  async capture(volumeId: string, snapshotId: string, signal: AbortSignal): Promise<void> {
    const partial = this.partialSnapshotPath(snapshotId);
    await this.run("cp", ["--reflink=auto", "--sparse=always", "--", this.volumePath(volumeId), partial], {
      signal,
    });
    await rename(partial, this.snapshotPath(snapshotId));
  }

  /** The file names in the snapshots directory (images and partial captures). */
  async snapshotFiles(): Promise<string[]> {
    return readdir(this.snapshotsDir);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  /** Makes (or remakes, when a crash left a partial one) an empty sparse file of `sizeBytes`. */
  async createEmpty(path: string, sizeBytes: number): Promise<void> {
    const file = await open(path, "w");
    try {
      await file.truncate(sizeBytes);
      await file.sync();
    } finally {
      await file.close();
    }
  }

  /** Copies `source` to `target` sparse-aware, then grows the copy to `sizeBytes` when larger. */
  async copy(source: string, target: string, sizeBytes: number): Promise<void> {
    await this.run("cp", ["--sparse=always", "--", source, target]);
    await this.grow(target, sizeBytes);
  }

  /** Grows a file to `sizeBytes` (never shrinks). */
  async grow(path: string, sizeBytes: number): Promise<void> {
    const file = await open(path, "r+");
    try {
      if ((await file.stat()).size < sizeBytes) await file.truncate(sizeBytes);
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async size(path: string): Promise<number> {
    return (await stat(path)).size;
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }
}
