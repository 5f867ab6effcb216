import type { components } from "../generated/block-storage.v1.js";
import type { OperationKind } from "./config.js";

type Schemas = components["schemas"];
export type Volume = Schemas["Volume"];
export type Snapshot = Schemas["Snapshot"];
export type Attachment = Schemas["Attachment"];
export type Operation = Schemas["Operation"];
export type Instance = Schemas["Instance"];
export type SnapshotGroup = Schemas["SnapshotGroup"];

/** What a create asked for, kept so a create with the same name can be compared with it. */
export interface VolumeSpec {
  /** Rounded requested size; absent when the create took the source's size. */
  sizeBytes?: number;
  zone: string;
  type: string;
  iops?: number;
  throughputMiBps?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  sourceSnapshotId?: string;
  sourceVolumeId?: string;
}

export interface AttachmentRecord extends Attachment {
  operationId: string;
}

export interface VolumeRecord extends Omit<Volume, "attachments"> {
  seq: number;
  spec: VolumeSpec;
  createOperationId: string;
  /** The running delete, resize or modify (one at a time). */
  busyOperationId?: string;
  attachments: AttachmentRecord[];
}

export interface SnapshotRecord extends Snapshot {
  seq: number;
  createOperationId: string;
  deleteOperationId?: string;
}

/** A group keeps its members' ids; the members themselves live in `snapshots`, marked with `groupId`. */
export interface SnapshotGroupRecord extends Omit<SnapshotGroup, "snapshots" | "readyToUse"> {
  snapshotIds: string[];
  seq: number;
  createOperationId: string;
  deleteOperationId?: string;
}

export interface InstanceRecord {
  id: string;
  name: string;
  zone: string;
  maxAttachedVolumes: number;
  local: boolean;
}

/** Inputs an operation needs to finish, also after a restart. */
export type OperationInput =
  | { kind: "createVolume" }
  | { kind: "deleteVolume" }
  | { kind: "resizeVolume"; sizeBytes: number }
  | { kind: "modifyVolume"; type: string; iops?: number; throughputMiBps?: number }
  | { kind: "attachVolume"; instanceId: string; readOnly: boolean }
  | { kind: "detachVolume"; instanceId: string }
  | { kind: "createSnapshot" }
  | { kind: "deleteSnapshot" }
  | { kind: "createSnapshotGroup" }
  | { kind: "deleteSnapshotGroup" };

export interface OperationRecord extends Operation {
  kind: OperationKind;
  input: OperationInput;
  /** Epoch ms when the work is due to finish. */
  dueAt: number;
}

/** A 202 answer remembered under an Idempotency-Key. */
export interface IdempotencyRecord {
  fingerprint: string;
  operationId: string;
  at: number;
}

export interface CloudState {
  version: 1;
  seq: number;
  instances: InstanceRecord[];
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
  /** Absent in state files written before snapshot groups existed. */
  snapshotGroups?: Record<string, SnapshotGroupRecord>;
  operations: Record<string, OperationRecord>;
  idempotency: Record<string, IdempotencyRecord>;
}

export function emptyState(): CloudState {
  return {
    version: 1,
    seq: 0,
    instances: [],
    volumes: {},
    snapshots: {},
    snapshotGroups: {},
    operations: {},
    idempotency: {},
  };
}

/** The snapshot groups of a state, made empty in a state file written before groups existed. */
export function snapshotGroupsOf(state: CloudState): Record<string, SnapshotGroupRecord> {
  state.snapshotGroups ??= {};
  return state.snapshotGroups;
}

/**
 * Forgets the Idempotency-Keys of every request that acted on a resource once it is deleted, so
 * a client that derives keys from a resource's name can create a new one under the same name.
 */
export function forgetIdempotencyKeysOf(state: CloudState, resourceId: string): void {
  for (const [key, record] of Object.entries(state.idempotency)) {
    if (state.operations[record.operationId]?.resourceId === resourceId) delete state.idempotency[key];
  }
}

/**
 * How long a finished operation of a deleted resource stays readable: long past any poller of it,
 * short enough that a cloud whose volumes come and go keeps a state file of its live resources.
 */
export const FINISHED_OPERATION_RETENTION_MS = 60 * 60 * 1000;

/**
 * How often the mutations' saves prune at most. A prune walks every operation and Idempotency-Key,
 * so pruning on every save made each mutation cost in proportion to the cloud's history; against
 * an hour's retention a minute late is nothing.
 */
export const PRUNE_INTERVAL_MS = 60 * 1000;

/**
 * Drops the finished operations of resources that no longer exist once they are older than the
 * retention. Nothing refers to them any more (deletion forgot their Idempotency-Keys), and the
 * whole state is rewritten on every mutation, so keeping them would slow every write for ever.
 */
export function pruneFinishedOperations(state: CloudState, now: number): void {
  const remembered = new Set(Object.values(state.idempotency).map((record) => record.operationId));
  for (const [id, operation] of Object.entries(state.operations)) {
    if (operation.status === "running" || remembered.has(id)) continue;
    if (state.volumes[operation.resourceId] !== undefined) continue;
    if (state.snapshots[operation.resourceId] !== undefined) continue;
    if (state.snapshotGroups?.[operation.resourceId] !== undefined) continue;
    if (now - Date.parse(operation.updatedAt) < FINISHED_OPERATION_RETENTION_MS) continue;
    delete state.operations[id];
  }
}
