import type { ResolvedConfig, VolumeType } from "../config.js";
import { newId } from "../ids.js";
import type { LocalAttachProbe } from "../loop-devices.js";
import type { Page } from "../page-token.js";
import type {
  Attachment,
  CloudState,
  Instance,
  OperationRecord,
  Snapshot,
  SnapshotGroup,
  Volume,
} from "../state.js";
import { type AttachLimits, Attachments, DEFAULT_ATTACH_LIMITS } from "./attachments.js";
import { Capacity } from "./capacity.js";
import { Catalog } from "./catalog.js";
import type {
  Accepted,
  EngineParts,
  IdempotencyContext,
  IdGenerator,
  ListInstancesQuery,
  ListSnapshotGroupsQuery,
  ListSnapshotsQuery,
  ListVolumesQuery,
  Schemas,
} from "./engine-types.js";
import { Idempotency } from "./idempotency.js";
import { Instances } from "./instances.js";
import { Operations } from "./operations.js";
import { Records } from "./records.js";
import type { SnapshotCapturing } from "./snapshot-captures.js";
import { SnapshotGroups } from "./snapshot-groups.js";
import { Snapshots } from "./snapshots.js";
import { Volumes } from "./volumes.js";

export interface CloudEngineDependencies {
  config: ResolvedConfig;
  state: CloudState;
  /** Persists the state; resolves once durable. */
  save: () => Promise<void>;
  /** Starts the asynchronous work of a running operation. */
  schedule: (operation: OperationRecord) => void;
  /** How long an operation's work takes once it starts at its due time; 0 when not known. */
  expectedRunMs?: (kind: string) => number;
  localAttach: () => LocalAttachProbe;
  byIdPath: (serial: string) => string;
  /** Copies a snapshot's data when it is accepted (its point in time). */
  captures: SnapshotCapturing;
  /** Resource ids; a face for another cloud passes its own format. */
  newId?: IdGenerator;
  attachLimits?: AttachLimits;
  now?: () => number;
}

/**
 * The block-storage engine every HTTP face drives: validation beyond a face's schema, idempotency,
 * names, quotas, capacity, attach limits and the resource lifecycles. Every mutation is applied in
 * memory synchronously (so concurrent requests see it at once), persisted, and only then
 * acknowledged. Faces translate their routes, ids and error bodies; the rules live here once.
 */
export class CloudEngine {
  private readonly catalog: Catalog;
  private readonly capacity: Capacity;
  private readonly operations: Operations;
  private readonly idempotency: Idempotency;
  private readonly volumes: Volumes;
  private readonly attachments: Attachments;
  private readonly snapshots: Snapshots;
  private readonly snapshotGroups: SnapshotGroups;
  private readonly instances: Instances;
  private readonly captures: SnapshotCapturing;

  constructor(deps: CloudEngineDependencies) {
    const now = deps.now ?? Date.now;
    const ids = deps.newId ?? newId;
    const limits = deps.attachLimits ?? DEFAULT_ATTACH_LIMITS;
    this.catalog = new Catalog(deps.config);
    this.capacity = new Capacity(deps.config, deps.state, this.catalog);
    this.operations = new Operations({
      config: deps.config,
      state: deps.state,
      newId: ids,
      now,
      save: deps.save,
      schedule: deps.schedule,
      ...(deps.expectedRunMs === undefined ? {} : { expectedRunMs: deps.expectedRunMs }),
    });
    this.idempotency = new Idempotency(deps.state, this.operations, now);
    const parts: EngineParts = {
      config: deps.config,
      state: deps.state,
      records: new Records(deps.state),
      catalog: this.catalog,
      capacity: this.capacity,
      operations: this.operations,
      newId: ids,
      now,
    };
    this.volumes = new Volumes(parts);
    this.attachments = new Attachments(parts, {
      limits,
      localAttach: deps.localAttach,
      byIdPath: deps.byIdPath,
    });
    this.captures = deps.captures;
    this.snapshots = new Snapshots(parts, deps.captures);
    this.snapshotGroups = new SnapshotGroups(parts, deps.captures);
    this.instances = new Instances(parts, limits);
  }

  listZones(): { items: Schemas["Zone"][] } {
    return this.catalog.listZones();
  }

  listVolumeTypes(): { items: VolumeType[] } {
    return this.catalog.listVolumeTypes();
  }

  getCapacity(zone?: string, type?: string): Schemas["Capacity"] {
    return this.capacity.getCapacity(zone, type);
  }

  listVolumes(query: ListVolumesQuery): Page<Volume> {
    return this.volumes.list(query);
  }

  getVolume(volumeId: string): Volume {
    return this.volumes.get(volumeId);
  }

  createVolume(request: Schemas["CreateVolumeRequest"], idempotency?: IdempotencyContext): Promise<Accepted> {
    return this.idempotency.run(idempotency, () => this.volumes.create(request));
  }

  deleteVolume(volumeId: string): Promise<Accepted> {
    return this.idempotency.run(undefined, () => this.volumes.delete(volumeId));
  }

  resizeVolume(
    volumeId: string,
    request: Schemas["ResizeVolumeRequest"],
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    return this.idempotency.run(idempotency, () => this.volumes.resize(volumeId, request));
  }

  modifyVolume(
    volumeId: string,
    request: Schemas["ModifyVolumeRequest"],
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    return this.idempotency.run(idempotency, () => this.volumes.modify(volumeId, request));
  }

  getAttachment(volumeId: string, instanceId: string): Attachment {
    return this.attachments.get(volumeId, instanceId);
  }

  attachVolume(
    volumeId: string,
    request: Schemas["AttachVolumeRequest"],
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    return this.idempotency.run(idempotency, () => this.attachments.attach(volumeId, request));
  }

  detachVolume(volumeId: string, instanceId: string): Promise<Accepted> {
    return this.idempotency.run(undefined, () => this.attachments.detach(volumeId, instanceId));
  }

  listSnapshots(query: ListSnapshotsQuery): Page<Snapshot> {
    return this.snapshots.list(query);
  }

  getSnapshot(snapshotId: string): Snapshot {
    return this.snapshots.get(snapshotId);
  }

  /**
   * Acknowledged once the snapshot's data is copied: writes the client makes after the answer
   * must not reach the snapshot. A failed copy still answers 202; the snapshot ends in `error`.
   */
  async createSnapshot(
    request: Schemas["CreateSnapshotRequest"],
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    const accepted = await this.idempotency.run(idempotency, () => this.snapshots.create(request));
    await this.captures.settled(accepted.operation.resourceId);
    return accepted;
  }

  deleteSnapshot(snapshotId: string): Promise<Accepted> {
    return this.idempotency.run(undefined, () => this.snapshots.delete(snapshotId));
  }

  listSnapshotGroups(query: ListSnapshotGroupsQuery): Page<SnapshotGroup> {
    return this.snapshotGroups.list(query);
  }

  getSnapshotGroup(groupId: string): SnapshotGroup {
    return this.snapshotGroups.get(groupId);
  }

  /**
   * Acknowledged once every member's data is copied, as for a single snapshot: the group's point
   * in time is before the answer.
   */
  async createSnapshotGroup(
    request: Schemas["CreateSnapshotGroupRequest"],
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    const accepted = await this.idempotency.run(idempotency, () => this.snapshotGroups.create(request));
    const members = this.snapshotGroups.memberIds(accepted.operation.resourceId);
    await Promise.all(members.map((id) => this.captures.settled(id)));
    return accepted;
  }

  deleteSnapshotGroup(groupId: string): Promise<Accepted> {
    return this.idempotency.run(undefined, () => this.snapshotGroups.delete(groupId));
  }

  listInstances(query: ListInstancesQuery): Page<Instance> {
    return this.instances.list(query);
  }

  getInstance(instanceId: string): Instance {
    return this.instances.get(instanceId);
  }

  getOperation(operationId: string): OperationRecord {
    return this.operations.get(operationId);
  }

  /** The expected time until a running operation is over: its work starts at `dueAt`, then runs. */
  remainingMs(operation: OperationRecord): number {
    return this.operations.remainingMs(operation);
  }
}
