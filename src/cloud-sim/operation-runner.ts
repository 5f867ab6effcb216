import type { Logger } from "../observability/logger.js";
import type { SnapshotCaptures } from "./engine/snapshot-captures.js";
import { snapshotGroupView } from "./engine/snapshot-groups.js";
import { attachmentView, settleStatus, snapshotView, volumeView } from "./engine/views.js";
import type { LoopDevices } from "./loop-devices.js";
import { ProblemError, problem } from "./problems.js";
import {
  type CloudState,
  forgetIdempotencyKeysOf,
  type OperationRecord,
  type SnapshotGroupRecord,
  type SnapshotRecord,
  snapshotGroupsOf,
  type VolumeRecord,
} from "./state.js";
import type { VolumeFiles } from "./volume-files.js";

export interface OperationRunnerDependencies {
  state: CloudState;
  save: () => Promise<void>;
  files: VolumeFiles;
  loops: LoopDevices;
  captures: SnapshotCaptures;
  /** Whether an instance is this machine (its attachments are loop devices). */
  isLocal: (instanceId: string) => boolean;
  logger?: Logger;
  now?: () => number;
}

/** How much of the longest recent run of a kind its estimate keeps after each later run. */
const RUN_ESTIMATE_DECAY = 0.9;

/**
 * Carries out running operations when they fall due: the file, loop-device and link work, then the
 * resulting state, persisted. Every step is idempotent, so operations found running after a restart
 * are simply run again. An operation the engine cancelled meanwhile (the create of a snapshot
 * deleted while pending) keeps the outcome the engine gave it.
 */

export class OperationRunner {
  private readonly timers = new Set<NodeJS.Timeout>();
  /** A decaying high-water mark of how long the work of each kind took, state save included. */
  private readonly runEstimatesMs = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly deps: OperationRunnerDependencies) {
    this.now = deps.now ?? Date.now;
  }

  schedule(operation: OperationRecord): void {
    if (this.closed) return;
    // The estimate counts from when the work should start, so a busy event loop's lateness is in it.
    const startsAt = Math.max(operation.dueAt, this.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        const work = this.run(operation, startsAt).finally(() => this.running.delete(work));
        this.running.add(work);
      },
      Math.max(0, operation.dueAt - this.now()),
    );
    this.timers.add(timer);
  }

  /**
   * How long the work of an operation of this kind is expected to take once it starts at its due
   * time. Polling hints point past it: an operation is still running until its work is saved.
   */
  expectedRunMs(kind: string): number {
    return this.runEstimatesMs.get(kind) ?? 0;
  }

  /** Stops starting work and waits for work in progress; unstarted operations resume on the next start. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.running]);
  }

  private async run(operation: OperationRecord, startsAt: number): Promise<void> {
    if (operation.status !== "running") return;
    try {
      await this.perform(operation);
      if (operation.status === "running") operation.status = "succeeded";
    } catch (error) {
      if (operation.status !== "running") return;
      const failure =
        error instanceof ProblemError
          ? error
          : problem("internal", `${operation.kind} failed: ${(error as Error).message}`);
      this.deps.logger?.error(
        { err: error, operationId: operation.id, kind: operation.kind },
        "operation failed",
      );
      this.rollBack(operation);
      operation.status = "failed";
      operation.error = failure.toProblem();
    }
    operation.updatedAt = new Date(this.now()).toISOString();
    try {
      await this.deps.save();
    } catch (error) {
      this.deps.logger?.error(
        { err: error, operationId: operation.id },
        "cannot persist a finished operation",
      );
    }
    const tookMs = Math.max(0, this.now() - startsAt);
    const estimate = this.runEstimatesMs.get(operation.kind) ?? 0;
    this.runEstimatesMs.set(operation.kind, Math.max(tookMs, estimate * RUN_ESTIMATE_DECAY));
  }

  private async perform(operation: OperationRecord): Promise<void> {
    const { state, files, loops } = this.deps;
    const input = operation.input;
    switch (input.kind) {
      case "createVolume": {
        const volume = this.volume(operation.resourceId);
        const target = files.volumePath(volume.id);
        if (volume.sourceSnapshotId !== undefined) {
          await files.copy(files.snapshotPath(volume.sourceSnapshotId), target, volume.sizeBytes);
        } else if (volume.sourceVolumeId !== undefined) {
          await files.copy(files.volumePath(volume.sourceVolumeId), target, volume.sizeBytes);
        } else {
          await files.createEmpty(target, volume.sizeBytes);
        }
        volume.status = "available";
        settleStatus(volume);
        operation.volume = volumeView(volume);
        return;
      }
      case "deleteVolume": {
        const volume = this.volume(operation.resourceId);
        // A pending snapshot of the volume may still be copying its file.
        await this.deps.captures.volumeReleased(volume.id);
        await files.remove(files.volumePath(volume.id));
        delete state.volumes[volume.id];
        forgetIdempotencyKeysOf(state, volume.id);
        return;
      }
      case "resizeVolume": {
        const volume = this.volume(operation.resourceId);
        await files.grow(files.volumePath(volume.id), input.sizeBytes);
        for (const attachment of volume.attachments) {
          if (attachment.devicePath !== undefined && this.deps.isLocal(attachment.instanceId)) {
            await loops.refresh(attachment.devicePath);
          }
        }
        volume.sizeBytes = input.sizeBytes;
        delete volume.busyOperationId;
        operation.volume = volumeView(volume);
        return;
      }
      case "modifyVolume": {
        const volume = this.volume(operation.resourceId);
        volume.type = input.type;
        if (input.iops === undefined) delete volume.iops;
        else volume.iops = input.iops;
        if (input.throughputMiBps === undefined) delete volume.throughputMiBps;
        else volume.throughputMiBps = input.throughputMiBps;
        delete volume.busyOperationId;
        operation.volume = volumeView(volume);
        return;
      }
      case "attachVolume": {
        const volume = this.volume(operation.resourceId);
        const attachment = volume.attachments.find((a) => a.instanceId === input.instanceId);
        if (attachment === undefined) throw problem("internal", `attachment of ${volume.id} vanished`);
        if (this.deps.isLocal(input.instanceId)) {
          try {
            attachment.devicePath = await loops.attach(
              files.volumePath(volume.id),
              volume.id,
              input.readOnly,
            );
          } catch (error) {
            throw problem(
              "local_attach_unavailable",
              `cannot attach ${volume.id} locally: ${(error as Error).message}`,
            );
          }
        }
        attachment.state = "attached";
        attachment.attachedAt = new Date(this.now()).toISOString();
        operation.attachment = attachmentView(attachment);
        return;
      }
      case "detachVolume": {
        const volume = this.volume(operation.resourceId);
        if (this.deps.isLocal(input.instanceId)) await loops.detach(files.volumePath(volume.id), volume.id);
        volume.attachments = volume.attachments.filter((a) => a.instanceId !== input.instanceId);
        settleStatus(volume);
        return;
      }
      case "createSnapshot": {
        const snapshot = state.snapshots[operation.resourceId];
        if (snapshot === undefined) throw problem("internal", `snapshot ${operation.resourceId} vanished`);
        // The data was copied when the snapshot was accepted; this only waits for that copy.
        await this.deps.captures.complete(snapshot);
        if (operation.status !== "running") return;
        snapshot.status = "available";
        snapshot.readyToUse = true;
        operation.snapshot = snapshotView(snapshot);
        return;
      }
      case "deleteSnapshot": {
        await this.deps.captures.discard(operation.resourceId);
        delete state.snapshots[operation.resourceId];
        forgetIdempotencyKeysOf(state, operation.resourceId);
        return;
      }
      case "createSnapshotGroup": {
        const group = this.group(operation.resourceId);
        const members = this.members(group);
        // Every capture is awaited, so a failure leaves no copy running behind the error.
        const outcomes = await Promise.allSettled(
          members.map((member) => this.deps.captures.complete(member)),
        );
        const failed = outcomes.find((outcome) => outcome.status === "rejected");
        if (failed !== undefined) throw failed.reason;
        if (operation.status !== "running") return;
        for (const member of members) {
          member.status = "available";
          member.readyToUse = true;
        }
        group.status = "available";
        operation.snapshotGroup = snapshotGroupView(state, group);
        return;
      }
      case "deleteSnapshotGroup": {
        const group = this.group(operation.resourceId);
        for (const id of group.snapshotIds) {
          await this.deps.captures.discard(id);
          delete state.snapshots[id];
          forgetIdempotencyKeysOf(state, id);
        }
        delete snapshotGroupsOf(state)[group.id];
        forgetIdempotencyKeysOf(state, group.id);
        return;
      }
    }
  }

  /** Leaves the resource in a state that says the operation failed and frees it for the next one. */
  private rollBack(operation: OperationRecord): void {
    const { state } = this.deps;
    const volume = state.volumes[operation.resourceId];
    const input = operation.input;
    switch (input.kind) {
      case "createVolume":
      case "deleteVolume":
        if (volume !== undefined) {
          volume.status = "error";
          delete volume.busyOperationId;
        }
        return;
      case "resizeVolume":
      case "modifyVolume":
        if (volume !== undefined) delete volume.busyOperationId;
        return;
      case "attachVolume":
        if (volume !== undefined) {
          volume.attachments = volume.attachments.filter((a) => a.instanceId !== input.instanceId);
          settleStatus(volume);
        }
        return;
      case "detachVolume": {
        const attachment = volume?.attachments.find((a) => a.instanceId === input.instanceId);
        if (attachment !== undefined) attachment.state = "attached";
        return;
      }
      case "createSnapshot":
      case "deleteSnapshot": {
        const snapshot = state.snapshots[operation.resourceId];
        if (snapshot !== undefined) {
          snapshot.status = "error";
          snapshot.readyToUse = false;
        }
        return;
      }
      case "createSnapshotGroup":
      case "deleteSnapshotGroup": {
        const group = snapshotGroupsOf(state)[operation.resourceId];
        if (group === undefined) return;
        group.status = "error";
        for (const member of this.members(group)) {
          member.status = "error";
          member.readyToUse = false;
        }
        return;
      }
    }
  }

  private group(groupId: string): SnapshotGroupRecord {
    const group = snapshotGroupsOf(this.deps.state)[groupId];
    if (group === undefined) throw problem("internal", `snapshot group ${groupId} vanished`);
    return group;
  }

  private members(group: SnapshotGroupRecord): SnapshotRecord[] {
    return group.snapshotIds
      .map((id) => this.deps.state.snapshots[id])
      .filter((member): member is SnapshotRecord => member !== undefined);
  }

  private volume(volumeId: string): VolumeRecord {
    const volume = this.deps.state.volumes[volumeId];
    if (volume === undefined) throw problem("internal", `volume ${volumeId} vanished`);
    return volume;
  }
}
