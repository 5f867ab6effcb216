import type { SnapshotGroupStorage } from "./snapshot-group-storage.js";
/**
 * What the controller needs from the block-storage API, in the controller's own terms. The cloud
 * provider adapts its cloud's client to this port (src/providers/<name>/); keeping the port here
 * lets the controller be read, and tested, without the HTTP layer or any one cloud in mind.
 *
 * Every call takes the gRPC call's deadline (epoch ms) and cancellation, so nothing the cloud
 * does outlives the RPC. Failures are `BallastError`s: each adapter maps its cloud's answers to
 * error kinds.
 */
export interface OperationOptions {
  deadline?: number | undefined;
  /** Fires when the CO gave up on the RPC (cancelled it); no cloud work goes on after that. */
  signal?: AbortSignal | undefined;
}

export interface MutationOptions extends OperationOptions {
  /** Derived from the CO's name so a retried create never makes a second resource. */
  idempotencyKey: string;
}

export type VolumeStatus = "creating" | "available" | "in-use" | "deleting" | "error";
export type AttachmentState = "attaching" | "attached" | "detaching";
export type SnapshotStatus = "pending" | "available" | "deleting" | "error";

export interface Attachment {
  instanceId: string;
  serial: string;
  byIdPath: string;
  state: AttachmentState;
  readOnly: boolean;
}

export interface Volume {
  id: string;
  name: string;
  sizeBytes: number;
  zone: string;
  type: string;
  iops?: number | undefined;
  throughput?: number | undefined;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  tags: Record<string, string>;
  sourceSnapshotId?: string | undefined;
  sourceVolumeId?: string | undefined;
  status: VolumeStatus;
  attachments: Attachment[];
}

export interface Snapshot {
  id: string;
  name: string;
  sourceVolumeId: string;
  sizeBytes: number;
  status: SnapshotStatus;
  readyToUse: boolean;
  /** As its source volume was; volumes restored from it are encrypted too. */
  encrypted: boolean;
  createdAt: string;
  tags: Record<string, string>;
  /** The snapshot group it was taken with; such a snapshot is deleted with its group only. */
  groupId?: string | undefined;
}

export interface Instance {
  id: string;
  name: string;
  zone: string;
  maxAttachedVolumes: number;
  attachedVolumeIds: string[];
}

export interface Zone {
  name: string;
  /** False when the zone accepts no new volumes (existing ones keep working). */
  available: boolean;
}

export interface Bounds {
  min: number;
  max: number;
  default: number;
}

export interface VolumeType {
  name: string;
  minSizeBytes: number;
  maxSizeBytes: number;
  sizeGranularityBytes: number;
  /** Absent when the tier's IOPS are fixed and not settable. */
  iops?: Bounds | undefined;
  /** MiB/s; absent when fixed. */
  throughput?: Bounds | undefined;
  supportsEncryption: boolean;
  /** The tier may be attached to several instances at once (read-only). */
  multiAttach: boolean;
}

export interface CreateVolumeInput {
  name: string;
  sizeBytes: number;
  zone: string;
  type: string;
  iops?: number | undefined;
  throughput?: number | undefined;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  tags: Record<string, string>;
  sourceSnapshotId?: string | undefined;
  sourceVolumeId?: string | undefined;
}

export interface ModifyVolumeInput {
  type?: string | undefined;
  iops?: number | undefined;
  throughput?: number | undefined;
}

export interface AttachInput {
  readOnly: boolean;
  /**
   * Refuse while the volume is attached to any other instance, whatever its tier allows: the
   * cloud's check is atomic with the attach, so it holds against concurrent attaches and a stale tier.
   */
  exclusive: boolean;
}

export interface CreateSnapshotInput {
  name: string;
  sourceVolumeId: string;
  tags: Record<string, string>;
}

export interface PoolCapacity {
  availableBytes: number;
  /** The largest single volume the pool can take now; undefined when the cloud does not say. */
  maximumVolumeSizeBytes?: number | undefined;
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string | undefined;
}

export interface PageRequest {
  limit?: number | undefined;
  pageToken?: string | undefined;
}

export interface BlockStorage {
  /** Creates and waits until the volume is available (bounded by the deadline). */
  createVolume(input: CreateVolumeInput, options: MutationOptions): Promise<Volume>;
  /** undefined when the volume does not exist. */
  getVolume(id: string, options: OperationOptions): Promise<Volume | undefined>;
  findVolumeByName(name: string, options: OperationOptions): Promise<Volume | undefined>;
  listVolumes(
    page: PageRequest & { tags?: Record<string, string> | undefined },
    options: OperationOptions,
  ): Promise<Page<Volume>>;
  /** Waits until the volume is gone; a volume already gone is success. */
  deleteVolume(id: string, options: OperationOptions): Promise<void>;
  resizeVolume(id: string, sizeBytes: number, options: MutationOptions): Promise<Volume>;
  modifyVolume(id: string, input: ModifyVolumeInput, options: MutationOptions): Promise<Volume>;
  /** Attaches and waits until attached. */
  attachVolume(
    volumeId: string,
    instanceId: string,
    input: AttachInput,
    options: MutationOptions,
  ): Promise<Attachment>;
  /** Detaches and waits until detached; not attached is success. */
  detachVolume(volumeId: string, instanceId: string, options: MutationOptions): Promise<void>;

  /** Starts the snapshot and returns it as soon as the cloud accepted it (usually still pending). */
  createSnapshot(input: CreateSnapshotInput, options: MutationOptions): Promise<Snapshot>;
  getSnapshot(id: string, options: OperationOptions): Promise<Snapshot | undefined>;
  findSnapshotByName(name: string, options: OperationOptions): Promise<Snapshot | undefined>;
  listSnapshots(
    page: PageRequest & { sourceVolumeId?: string | undefined },
    options: OperationOptions,
  ): Promise<Page<Snapshot>>;
  deleteSnapshot(id: string, options: OperationOptions): Promise<void>;

  getInstance(id: string, options: OperationOptions): Promise<Instance | undefined>;
  /**
   * For a node that finds itself by its name (`--node-name`); absent when the cloud cannot list
   * instances by name, and the node then needs `--node-id` or a metadata service.
   */
  findInstanceByName?(name: string, options: OperationOptions): Promise<Instance | undefined>;
  listZones(options: OperationOptions): Promise<Zone[]>;
  /**
   * For Probe: resolves when the cloud answers the adapter's cheapest authenticated request now.
   * listZones cannot stand in for it: a cloud whose zones are a fixed list answers that without a
   * request, and so would say ready with the API down or the token rejected.
   */
  probe(options: OperationOptions): Promise<void>;
  listVolumeTypes(options: OperationOptions): Promise<VolumeType[]>;
  getCapacity(zone: string, type: string, options: OperationOptions): Promise<PoolCapacity>;
  /** Releases the adapter's connections when the process stops. */
  close?(): Promise<void>;
  /** Present exactly when the cloud snapshots several volumes at one point in time. */
  snapshotGroups?: SnapshotGroupStorage | undefined;
}
