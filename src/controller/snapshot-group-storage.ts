import type { MutationOptions, OperationOptions, Snapshot } from "./block-storage.js";

export type SnapshotGroupStatus = "pending" | "available" | "deleting" | "error";

/** Snapshots of several volumes taken at one point in time, deleted together. */
export interface SnapshotGroup {
  id: string;
  name: string;
  /** In the order the group was requested with; `snapshots` follows the same order. */
  sourceVolumeIds: string[];
  snapshots: Snapshot[];
  status: SnapshotGroupStatus;
  readyToUse: boolean;
  createdAt: string;
  tags: Record<string, string>;
}

export interface CreateSnapshotGroupInput {
  name: string;
  sourceVolumeIds: string[];
  tags: Record<string, string>;
}

/**
 * The part of a cloud that snapshots volumes together. A provider's BlockStorage offers it only
 * when its cloud can take one point in time across volumes; the group controller is served
 * exactly then.
 */
export interface SnapshotGroupStorage {
  /** Starts the group and returns it as soon as the cloud accepted it (usually still pending). */
  createSnapshotGroup(input: CreateSnapshotGroupInput, options: MutationOptions): Promise<SnapshotGroup>;
  /** undefined when the group does not exist. */
  getSnapshotGroup(id: string, options: OperationOptions): Promise<SnapshotGroup | undefined>;
  findSnapshotGroupByName(name: string, options: OperationOptions): Promise<SnapshotGroup | undefined>;
  /** Deletes the group and every member snapshot; a group already gone is success. */
  deleteSnapshotGroup(id: string, options: OperationOptions): Promise<void>;
}
