import { join } from "node:path";
import type { Logger } from "../../observability/logger.js";
import type { CloudState, SnapshotRecord } from "../state.js";
import type { VolumeFiles } from "../volume-files.js";
import { NO_WRITES_TO_HOLD, type WriteHold } from "./write-hold.js";

/** What the engine needs of the captures: starting one when a snapshot is accepted, and its end. */
export interface SnapshotCapturing {
  /** Starts copying the source volume's file, writes to it held meanwhile: its point in time. */
  start(snapshot: SnapshotRecord): void;
  /** Starts copying several volumes as of one moment, writes to all of them held meanwhile. */
  startGroup(snapshots: readonly SnapshotRecord[]): void;
  /** Resolves once the snapshot's capture has ended, copied or failed; never rejects. */
  settled(snapshotId: string): Promise<void>;
}

interface Capture {
  volumeId: string;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Point-in-time copies behind pending snapshots. A snapshot's data is copied when the cloud
 * accepts it, not when its operation falls due, so that, as on EBS, a pending snapshot keeps its
 * data while its volume is written to or deleted, and can be deleted itself, which stops the copy.
 * The operation's latency only decides when the snapshot is reported available.
 */
export class SnapshotCaptures implements SnapshotCapturing {
  private readonly running = new Map<string, Capture>();
  /** Failures not yet collected by the snapshot's operation, which then marks it `error`. */
  private readonly failures = new Map<string, Error>();

  constructor(
    private readonly files: VolumeFiles,
    private readonly logger?: Logger,
    private readonly writes: WriteHold = NO_WRITES_TO_HOLD,
  ) {}

  start(snapshot: SnapshotRecord): void {
    this.held([snapshot]);
  }

  startGroup(snapshots: readonly SnapshotRecord[]): void {
    this.held(snapshots);
  }

  async settled(snapshotId: string): Promise<void> {
    await this.running.get(snapshotId)?.done.catch(() => undefined);
  }

  /**
   * The capture's outcome for the snapshot's operation: throws when it failed. A capture this
   * process does not know of was lost in a restart before it finished (see `resume`): it is redone
   * from the volume as it is now, the only data left, or fails when the volume is gone too.
   */
  async complete(snapshot: SnapshotRecord): Promise<void> {
    const capture = this.running.get(snapshot.id);
    if (capture !== undefined) {
      try {
        return await capture.done;
      } finally {
        this.failures.delete(snapshot.id);
      }
    }
    const failure = this.failures.get(snapshot.id);
    if (failure !== undefined) {
      this.failures.delete(snapshot.id);
      throw failure;
    }
    if (await this.files.exists(this.files.snapshotPath(snapshot.id))) return;
    if (!(await this.files.exists(this.files.volumePath(snapshot.sourceVolumeId)))) {
      throw new Error(
        `the data of snapshot ${snapshot.id} was lost: volume ${snapshot.sourceVolumeId} is gone`,
      );
    }
    await Promise.all(this.held([snapshot]).map((capture) => capture.done));
  }

  /** Waits until no capture reads the volume's file, so the file can be removed. */
  async volumeReleased(volumeId: string): Promise<void> {
    const reading = [...this.running.values()].filter((c) => c.volumeId === volumeId);
    await Promise.all(reading.map((c) => c.done.catch(() => undefined)));
  }

  /** Stops the snapshot's capture if it still runs and removes whatever it wrote. */
  async discard(snapshotId: string): Promise<void> {
    const capture = this.running.get(snapshotId);
    if (capture !== undefined) {
      capture.abort.abort();
      await capture.done.catch(() => undefined);
    }
    this.failures.delete(snapshotId);
    await this.files.remove(this.files.partialSnapshotPath(snapshotId));
    await this.files.remove(this.files.snapshotPath(snapshotId));
  }

  /**
   * After a restart: a `.partial` is a capture a crash interrupted, and an image no snapshot owns
   * was written for a create whose state never became durable; both are removed. A pending
   * snapshot without its image has its capture redone now, before any delete of its volume runs.
   */
  async resume(state: CloudState): Promise<void> {
    for (const name of await this.files.snapshotFiles()) {
      const owner = name.endsWith(".img") ? state.snapshots[name.slice(0, -".img".length)] : undefined;
      if (owner === undefined) await this.files.remove(join(this.files.snapshotsDir, name));
    }
    const redo: SnapshotRecord[] = [];
    for (const snapshot of Object.values(state.snapshots)) {
      if (snapshot.status !== "pending") continue;
      if (await this.files.exists(this.files.snapshotPath(snapshot.id))) continue;
      if (!(await this.files.exists(this.files.volumePath(snapshot.sourceVolumeId)))) continue;
      this.logger?.warn({ snapshotId: snapshot.id }, "redoing a snapshot capture a restart interrupted");
      redo.push(snapshot);
    }
    // Members of one group are redone together, so they still share one moment.
    const groups = new Map<string, SnapshotRecord[]>();
    for (const snapshot of redo) {
      if (snapshot.groupId === undefined) this.start(snapshot);
      else groups.set(snapshot.groupId, [...(groups.get(snapshot.groupId) ?? []), snapshot]);
    }
    for (const members of groups.values()) this.startGroup(members);
  }

  /**
   * A file copied while its filesystem is written to is of no one moment (`cp` reads it block by
   * block, and a mounted filesystem's own structures may still be in its journal), so every copy
   * starts only once writes to all the volumes copied together are held, and the hold ends when
   * the last copy has ended. A hold that fails fails every capture: a copy taken without it would
   * not be a point in time.
   */
  private held(snapshots: readonly SnapshotRecord[]): Capture[] {
    const held = this.writes.hold(snapshots.map((snapshot) => snapshot.sourceVolumeId));
    const ready = held.then(() => undefined);
    const captures = snapshots.map((snapshot) => this.begin(snapshot.id, snapshot.sourceVolumeId, ready));
    void held
      .then(async (release) => {
        await Promise.allSettled(captures.map((capture) => capture.done));
        await release();
      })
      .catch((error: unknown) => {
        this.logger?.error(
          { err: error, snapshotIds: snapshots.map((snapshot) => snapshot.id) },
          "cannot hold or release the writes of the volumes being snapshotted",
        );
      });
    return captures;
  }

  private begin(snapshotId: string, volumeId: string, after: Promise<void>): Capture {
    const abort = new AbortController();
    const copied = after.then(() => this.files.capture(volumeId, snapshotId, abort.signal));
    const done = copied.catch(async (error: unknown) => {
      await this.files.remove(this.files.partialSnapshotPath(snapshotId));
      if (!abort.signal.aborted) this.failures.set(snapshotId, error as Error);
      throw error;
    });
    const capture = { volumeId, abort, done };
    this.running.set(snapshotId, capture);
    void done
      .catch(() => undefined)
      .finally(() => {
        if (this.running.get(snapshotId) === capture) this.running.delete(snapshotId);
      });
    return capture;
  }
}
