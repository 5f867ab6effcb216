import type { components } from "../generated/block-storage.v1.js";
import type { OperationKind, ResolvedConfig, VolumeType } from "./config.js";
import { newId } from "./ids.js";
import type { LocalAttachProbe } from "./loop-devices.js";
import { type Page, paginate } from "./page-token.js";
import { problem } from "./problems.js";
import {
  type Attachment,
  type AttachmentRecord,
  type CloudState,
  type Instance,
  type InstanceRecord,
  type Operation,
  type OperationInput,
  type OperationRecord,
  pruneFinishedOperations,
  type Snapshot,
  type SnapshotRecord,
  type Volume,
  type VolumeRecord,
  type VolumeSpec,
} from "./state.js";

type Schemas = components["schemas"];
type CreateVolumeRequest = Schemas["CreateVolumeRequest"];
type ResizeVolumeRequest = Schemas["ResizeVolumeRequest"];
type ModifyVolumeRequest = Schemas["ModifyVolumeRequest"];
type AttachVolumeRequest = Schemas["AttachVolumeRequest"];
type CreateSnapshotRequest = Schemas["CreateSnapshotRequest"];

const GiB = 1024 ** 3;
const DEFAULT_KMS_KEY_ID = "ref-kms-default";
const MULTI_ATTACH_LIMIT = 16;

export interface Accepted {
  operation: OperationRecord;
  replayed: boolean;
}

export interface IdempotencyContext {
  key: string;
  fingerprint: string;
}

export interface ListVolumesQuery {
  limit: number;
  pageToken?: string;
  name?: string;
  zone?: string;
  tag?: string[];
  instanceId?: string;
}

export interface CloudServiceDependencies {
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
  now?: () => number;
}

/**
 * The block-storage API's rules: validation beyond the schema, idempotency, names, quotas,
 * capacity, attach limits and the resource lifecycles. Every mutation is applied in memory
 * synchronously (so concurrent requests see it at once), persisted, and only then acknowledged.
 */
export class CloudService {
  private readonly config: ResolvedConfig;
  private readonly state: CloudState;
  private readonly now: () => number;
  private readonly started: OperationRecord[] = [];

  constructor(private readonly deps: CloudServiceDependencies) {
    this.config = deps.config;
    this.state = deps.state;
    this.now = deps.now ?? Date.now;
  }

  listZones(): { items: Schemas["Zone"][] } {
    return { items: this.config.zones };
  }

  listVolumeTypes(): { items: VolumeType[] } {
    return { items: this.config.volumeTypes };
  }

  getCapacity(zone?: string, type?: string): Schemas["Capacity"] {
    if (zone !== undefined) this.zone(zone, "zone", "not_found");
    const volumeType = type === undefined ? undefined : this.volumeType(type, "type", "not_found");
    const zones = zone === undefined ? this.config.zones.map((z) => z.name) : [zone];
    const types = type === undefined ? this.config.volumeTypes.map((t) => t.name) : [type];
    const quotaLeft = Math.max(0, this.config.quotas.maxVolumeBytes - this.usedBytes());
    let available = 0;
    let largestPool = 0;
    const open = new Set(this.config.zones.filter((z) => z.status === "available").map((z) => z.name));
    for (const z of zones) {
      for (const t of types) {
        // An unavailable zone takes no new volumes, so none of its room can be provisioned.
        const free = open.has(z) ? Math.max(0, this.config.poolCapacityBytes - this.usedBytes(z, t)) : 0;
        available += free;
        largestPool = Math.max(largestPool, free);
      }
    }
    return {
      ...(zone === undefined ? {} : { zone }),
      ...(type === undefined ? {} : { type }),
      availableBytes: Math.min(available, quotaLeft),
      ...(volumeType === undefined
        ? {}
        : { maximumVolumeSizeBytes: Math.min(volumeType.maxSizeBytes, largestPool, quotaLeft) }),
    };
  }

  // ---- volumes ----

  listVolumes(query: ListVolumesQuery): Page<Volume> {
    const tags = (query.tag ?? []).map((t) => {
      const at = t.indexOf("=");
      return [t.slice(0, at), t.slice(at + 1)] as const;
    });
    const matching = this.volumesInOrder().filter(
      (v) =>
        (query.name === undefined || v.name === query.name) &&
        (query.zone === undefined || v.zone === query.zone) &&
        tags.every(([key, value]) => v.tags[key] === value) &&
        (query.instanceId === undefined || v.attachments.some((a) => a.instanceId === query.instanceId)),
    );
    const page = paginate("volumes", matching, (v) => v.seq, query.limit, query.pageToken);
    return { ...page, items: page.items.map((v) => volumeView(v)) };
  }

  getVolume(volumeId: string): Volume {
    return volumeView(this.volume(volumeId));
  }

  async createVolume(request: CreateVolumeRequest, idempotency?: IdempotencyContext): Promise<Accepted> {
    return this.idempotent(idempotency, () => {
      if (request.sizeBytes !== undefined && request.sizeGiB !== undefined) {
        throw problem("invalid_argument", "sizeBytes and sizeGiB: give one of them, not both");
      }
      if (request.sourceSnapshotId !== undefined && request.sourceVolumeId !== undefined) {
        throw problem("invalid_argument", "sourceSnapshotId and sourceVolumeId: give at most one of them");
      }
      const requestedSize = request.sizeGiB !== undefined ? request.sizeGiB * GiB : request.sizeBytes;
      const hasSource = request.sourceSnapshotId !== undefined || request.sourceVolumeId !== undefined;
      if (requestedSize === undefined && !hasSource) {
        throw problem("invalid_argument", "sizeBytes: required (or sizeGiB) when the volume has no source");
      }
      const zone = this.zone(request.zone, "zone", "invalid_argument");
      const type = this.volumeType(request.type ?? this.config.defaultVolumeType, "type", "invalid_argument");
      const performance = this.performance(type, request.iops, request.throughputMiBps);
      if (request.kmsKeyId !== undefined && request.encrypted !== true) {
        throw problem(
          "invalid_argument",
          `kmsKeyId: ${JSON.stringify(request.kmsKeyId)} needs encrypted: true`,
        );
      }

      const existing = this.volumeByName(request.name);
      if (existing !== undefined) {
        const same =
          sameSpec(existing.spec, requestedSpec(request, requestedSize, type, performance)) &&
          existing.status !== "deleting";
        if (!same) {
          throw problem(
            "already_exists",
            `name: a volume named ${JSON.stringify(request.name)} already exists (${existing.id}) with a different spec`,
            { resourceId: existing.id },
          );
        }
        return this.operation(existing.createOperationId);
      }

      let sourceSize = 0;
      let sourceEncrypted = false;
      let sourceKmsKeyId: string | undefined;
      if (request.sourceSnapshotId !== undefined) {
        const snapshot = this.snapshot(request.sourceSnapshotId, "sourceSnapshotId");
        if (snapshot.status !== "available") {
          throw problem(
            "conflict",
            `sourceSnapshotId: snapshot ${snapshot.id} is ${snapshot.status}, not available`,
            { resourceId: snapshot.id },
          );
        }
        sourceSize = snapshot.sizeBytes;
        sourceEncrypted = snapshot.encrypted;
        sourceKmsKeyId = snapshot.kmsKeyId;
      }
      if (request.sourceVolumeId !== undefined) {
        const source = this.volume(request.sourceVolumeId, "sourceVolumeId");
        this.requireSettled(source, "sourceVolumeId");
        if (source.zone !== zone) {
          throw problem(
            "zone_mismatch",
            `sourceVolumeId: volume ${source.id} is in zone ${source.zone}, not ${zone}; clones stay in their zone`,
            { resourceId: source.id },
          );
        }
        sourceSize = source.sizeBytes;
        sourceEncrypted = source.encrypted;
        sourceKmsKeyId = source.kmsKeyId;
      }
      const sizeBytes = roundUp(requestedSize ?? sourceSize, type.sizeGranularityBytes);
      if (sizeBytes < sourceSize) {
        throw problem(
          "invalid_argument",
          `sizeBytes: ${sizeBytes} is smaller than the source's ${sourceSize} bytes`,
        );
      }
      this.checkSizeBounds(type, sizeBytes);
      const encrypted = request.encrypted === true || sourceEncrypted;
      if (encrypted && !type.supportsEncryption) {
        throw problem("invalid_argument", `encrypted: type ${type.name} does not support encryption`);
      }
      this.checkRoomFor(zone, type.name, sizeBytes, 1);

      const id = newId("vol");
      const spec = requestedSpec(request, requestedSize, type, performance);
      const operation = this.newOperation("createVolume", id, { kind: "createVolume" });
      this.state.volumes[id] = {
        id,
        name: request.name,
        sizeBytes,
        zone,
        type: type.name,
        ...performance,
        encrypted,
        ...(encrypted ? { kmsKeyId: request.kmsKeyId ?? sourceKmsKeyId ?? DEFAULT_KMS_KEY_ID } : {}),
        tags: { ...spec.tags },
        ...(request.sourceSnapshotId === undefined ? {} : { sourceSnapshotId: request.sourceSnapshotId }),
        ...(request.sourceVolumeId === undefined ? {} : { sourceVolumeId: request.sourceVolumeId }),
        status: "creating",
        attachments: [],
        createdAt: operation.createdAt,
        seq: this.nextSeq(),
        spec,
        createOperationId: operation.id,
      };
      return this.start(operation);
    });
  }

  async deleteVolume(volumeId: string): Promise<Accepted> {
    return this.idempotent(undefined, () => {
      const volume = this.volume(volumeId);
      if (volume.status === "deleting" && volume.busyOperationId !== undefined) {
        return this.operation(volume.busyOperationId);
      }
      if (volume.attachments.length > 0) {
        const instanceIds = volume.attachments.map((a) => a.instanceId);
        throw problem(
          "volume_in_use",
          `volume ${volume.id} is attached to instance ${instanceIds.join(", ")}; detach it first`,
          { resourceId: volume.id, instanceIds },
        );
      }
      if (volume.status === "creating") {
        throw problem("conflict", `volume ${volume.id} is still being created`, { resourceId: volume.id });
      }
      this.requireNotBusy(volume);
      this.requireNotCopySource(volume);
      const operation = this.newOperation("deleteVolume", volume.id, { kind: "deleteVolume" });
      volume.status = "deleting";
      volume.busyOperationId = operation.id;
      return this.start(operation);
    });
  }

  async resizeVolume(
    volumeId: string,
    request: ResizeVolumeRequest,
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    return this.idempotent(idempotency, () => {
      const requested = requestedSize(request);
      const volume = this.volume(volumeId);
      this.requireSettled(volume, "volumeId");
      this.requireNotBusy(volume);
      this.requireNotCopySource(volume);
      const type = this.volumeType(volume.type, "type", "internal");
      const sizeBytes = roundUp(requested, type.sizeGranularityBytes);
      if (sizeBytes < volume.sizeBytes) {
        throw problem(
          "invalid_argument",
          `sizeBytes: ${sizeBytes} is smaller than the current ${volume.sizeBytes}; volumes only grow`,
          { resourceId: volume.id },
        );
      }
      this.checkSizeBounds(type, sizeBytes);
      if (sizeBytes === volume.sizeBytes) {
        return this.finishedOperation("resizeVolume", volume.id, { volume: volumeView(volume) });
      }
      this.checkRoomFor(volume.zone, volume.type, sizeBytes - volume.sizeBytes, 0);
      const operation = this.newOperation("resizeVolume", volume.id, { kind: "resizeVolume", sizeBytes });
      volume.busyOperationId = operation.id;
      return this.start(operation);
    });
  }

  async modifyVolume(
    volumeId: string,
    request: ModifyVolumeRequest,
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    return this.idempotent(idempotency, () => {
      const volume = this.volume(volumeId);
      this.requireSettled(volume, "volumeId");
      this.requireNotBusy(volume);
      const typeChanges = request.type !== undefined && request.type !== volume.type;
      const type = this.volumeType(request.type ?? volume.type, "type", "invalid_argument");
      const performance = this.performance(
        type,
        request.iops ?? (typeChanges ? undefined : volume.iops),
        request.throughputMiBps ?? (typeChanges ? undefined : volume.throughputMiBps),
      );
      if (typeChanges) {
        this.checkSizeBounds(type, volume.sizeBytes);
        if (volume.encrypted && !type.supportsEncryption) {
          throw problem(
            "invalid_argument",
            `type: ${type.name} does not support encryption and the volume is encrypted`,
          );
        }
        if (!type.multiAttach && volume.attachments.length > 1) {
          throw problem(
            "conflict",
            `type: ${type.name} is single-attach and volume ${volume.id} is attached to ${volume.attachments.length} instances`,
            { resourceId: volume.id },
          );
        }
        this.checkRoomFor(volume.zone, type.name, volume.sizeBytes, 0);
      }
      const unchanged =
        type.name === volume.type &&
        performance.iops === volume.iops &&
        performance.throughputMiBps === volume.throughputMiBps;
      if (unchanged) return this.finishedOperation("modifyVolume", volume.id, { volume: volumeView(volume) });
      const operation = this.newOperation("modifyVolume", volume.id, {
        kind: "modifyVolume",
        type: type.name,
        ...performance,
      });
      volume.busyOperationId = operation.id;
      return this.start(operation);
    });
  }

  // ---- attachments ----

  getAttachment(volumeId: string, instanceId: string): Attachment {
    const volume = this.volume(volumeId);
    const attachment = volume.attachments.find((a) => a.instanceId === instanceId);
    if (attachment === undefined) {
      throw problem("not_found", `volume ${volumeId} is not attached to instance ${instanceId}`, {
        resourceId: volumeId,
      });
    }
    return attachmentView(attachment);
  }

  async attachVolume(
    volumeId: string,
    request: AttachVolumeRequest,
    idempotency?: IdempotencyContext,
  ): Promise<Accepted> {
    return this.idempotent(idempotency, () => {
      const volume = this.volume(volumeId);
      const instance = this.instance(request.instanceId, "instanceId");
      const readOnly = request.readOnly === true;
      const current = volume.attachments.find((a) => a.instanceId === instance.id);
      if (current !== undefined) {
        if (current.state === "detaching") {
          throw problem("conflict", `volume ${volume.id} is being detached from instance ${instance.id}`, {
            resourceId: volume.id,
          });
        }
        if (current.readOnly !== readOnly) {
          throw problem(
            "conflict",
            `readOnly: volume ${volume.id} is attached to instance ${instance.id} with readOnly=${current.readOnly}`,
            { resourceId: volume.id },
          );
        }
        return this.operation(current.operationId);
      }
      this.requireSettled(volume, "volumeId");
      if (volume.zone !== instance.zone) {
        throw problem(
          "zone_mismatch",
          `volume ${volume.id} is in zone ${volume.zone} and instance ${instance.id} in zone ${instance.zone}`,
          { resourceId: volume.id },
        );
      }
      const type = this.volumeType(volume.type, "type", "internal");
      if (volume.attachments.length > 0 && !type.multiAttach) {
        const instanceIds = volume.attachments.map((a) => a.instanceId);
        throw problem(
          "volume_in_use",
          `volume ${volume.id} is attached to instance ${instanceIds.join(", ")} and type ${type.name} is single-attach`,
          { resourceId: volume.id, instanceIds },
        );
      }
      // Checked in the same synchronous step that pushes the new attachment below, so a concurrent
      // exclusive attach to another instance sees this one (still attaching) and is refused.
      if (volume.attachments.length > 0 && request.exclusive === true) {
        const instanceIds = volume.attachments.map((a) => a.instanceId);
        throw problem(
          "volume_in_use",
          `volume ${volume.id} is attached to instance ${instanceIds.join(", ")} and the attach to ${instance.id} asked to be exclusive`,
          { resourceId: volume.id, instanceIds },
        );
      }
      if (volume.attachments.length >= MULTI_ATTACH_LIMIT) {
        throw problem(
          "attach_limit_exceeded",
          `volume ${volume.id} already has ${MULTI_ATTACH_LIMIT} attachments`,
          {
            resourceId: volume.id,
          },
        );
      }
      const attached = this.attachedVolumeIds(instance.id).length;
      if (attached >= instance.maxAttachedVolumes) {
        throw problem(
          "attach_limit_exceeded",
          `instance ${instance.id} has ${attached} of its ${instance.maxAttachedVolumes} volumes attached`,
          { resourceId: instance.id },
        );
      }
      if (instance.local) {
        const probe = this.deps.localAttach();
        if (!probe.available) {
          throw problem(
            "local_attach_unavailable",
            `instance ${instance.id} is this machine and loop devices are unavailable: ${probe.reason}`,
            { resourceId: instance.id },
          );
        }
      }
      const operation = this.newOperation(
        "attachVolume",
        volume.id,
        { kind: "attachVolume", instanceId: instance.id, readOnly },
        instance.id,
      );
      volume.attachments.push({
        volumeId: volume.id,
        instanceId: instance.id,
        serial: volume.id,
        byIdPath: this.deps.byIdPath(volume.id),
        state: "attaching",
        readOnly,
        operationId: operation.id,
      });
      settleStatus(volume);
      return this.start(operation);
    });
  }

  async detachVolume(volumeId: string, instanceId: string): Promise<Accepted> {
    return this.idempotent(undefined, () => {
      const volume = this.volume(volumeId);
      const attachment = volume.attachments.find((a) => a.instanceId === instanceId);
      if (attachment === undefined) {
        throw problem("not_found", `volume ${volumeId} is not attached to instance ${instanceId}`, {
          resourceId: volumeId,
        });
      }
      if (attachment.state === "detaching") return this.operation(attachment.operationId);
      if (attachment.state === "attaching") {
        throw problem("conflict", `volume ${volumeId} is still being attached to instance ${instanceId}`, {
          resourceId: volumeId,
        });
      }
      const operation = this.newOperation(
        "detachVolume",
        volume.id,
        { kind: "detachVolume", instanceId },
        instanceId,
      );
      attachment.state = "detaching";
      attachment.operationId = operation.id;
      return this.start(operation);
    });
  }

  // ---- snapshots ----

  listSnapshots(query: {
    limit: number;
    pageToken?: string;
    name?: string;
    sourceVolumeId?: string;
  }): Page<Snapshot> {
    const matching = Object.values(this.state.snapshots)
      .sort((a, b) => a.seq - b.seq)
      .filter(
        (s) =>
          (query.name === undefined || s.name === query.name) &&
          (query.sourceVolumeId === undefined || s.sourceVolumeId === query.sourceVolumeId),
      );
    const page = paginate("snapshots", matching, (s) => s.seq, query.limit, query.pageToken);
    return { ...page, items: page.items.map(snapshotView) };
  }

  getSnapshot(snapshotId: string): Snapshot {
    return snapshotView(this.snapshot(snapshotId));
  }

  async createSnapshot(request: CreateSnapshotRequest, idempotency?: IdempotencyContext): Promise<Accepted> {
    return this.idempotent(idempotency, () => {
      const existing = Object.values(this.state.snapshots).find((s) => s.name === request.name);
      if (existing !== undefined) {
        if (existing.sourceVolumeId !== request.sourceVolumeId || existing.status === "deleting") {
          throw problem(
            "already_exists",
            `name: a snapshot named ${JSON.stringify(request.name)} already exists (${existing.id}) of volume ${existing.sourceVolumeId}`,
            { resourceId: existing.id },
          );
        }
        return this.operation(existing.createOperationId);
      }
      const volume = this.volume(request.sourceVolumeId, "sourceVolumeId");
      this.requireSettled(volume, "sourceVolumeId");
      this.requireNotBusy(volume);
      const count = Object.keys(this.state.snapshots).length;
      if (count >= this.config.quotas.maxSnapshots) {
        throw problem(
          "quota_exceeded",
          `snapshots: the quota of ${this.config.quotas.maxSnapshots} snapshots is used up`,
        );
      }
      const id = newId("snap");
      const operation = this.newOperation("createSnapshot", id, { kind: "createSnapshot" });
      this.state.snapshots[id] = {
        id,
        name: request.name,
        sourceVolumeId: volume.id,
        sizeBytes: volume.sizeBytes,
        status: "pending",
        readyToUse: false,
        encrypted: volume.encrypted,
        ...(volume.kmsKeyId === undefined ? {} : { kmsKeyId: volume.kmsKeyId }),
        tags: request.tags ?? {},
        createdAt: operation.createdAt,
        seq: this.nextSeq(),
        createOperationId: operation.id,
      };
      return this.start(operation);
    });
  }

  async deleteSnapshot(snapshotId: string): Promise<Accepted> {
    return this.idempotent(undefined, () => {
      const snapshot = this.snapshot(snapshotId);
      if (snapshot.status === "deleting" && snapshot.deleteOperationId !== undefined) {
        return this.operation(snapshot.deleteOperationId);
      }
      if (snapshot.status === "pending") {
        throw problem("conflict", `snapshot ${snapshot.id} is still pending`, { resourceId: snapshot.id });
      }
      const restoring = Object.values(this.state.volumes).find(
        (v) => v.status === "creating" && v.sourceSnapshotId === snapshot.id,
      );
      if (restoring !== undefined) {
        throw problem("conflict", `snapshot ${snapshot.id} is being restored into volume ${restoring.id}`, {
          resourceId: snapshot.id,
        });
      }
      const operation = this.newOperation("deleteSnapshot", snapshot.id, { kind: "deleteSnapshot" });
      snapshot.status = "deleting";
      snapshot.readyToUse = false;
      snapshot.deleteOperationId = operation.id;
      return this.start(operation);
    });
  }

  // ---- instances and operations ----

  listInstances(query: { limit: number; pageToken?: string; name?: string; zone?: string }): Page<Instance> {
    const sorted = [...this.state.instances].sort((a, b) => a.id.localeCompare(b.id));
    const matching = sorted
      .map((instance, position) => ({ instance, position }))
      .filter(
        ({ instance }) =>
          (query.name === undefined || instance.name === query.name) &&
          (query.zone === undefined || instance.zone === query.zone),
      );
    const page = paginate("instances", matching, (m) => m.position, query.limit, query.pageToken);
    return { ...page, items: page.items.map(({ instance }) => this.instanceView(instance)) };
  }

  getInstance(instanceId: string): Instance {
    return this.instanceView(this.instance(instanceId));
  }

  getOperation(operationId: string): OperationRecord {
    return this.operation(operationId);
  }

  /** The expected time until a running operation is over: its work starts at `dueAt`, then runs. */
  remainingMs(operation: OperationRecord): number {
    if (operation.status !== "running") return 0;
    const expectedEnd = operation.dueAt + (this.deps.expectedRunMs?.(operation.kind) ?? 0);
    return Math.max(0, expectedEnd - this.now());
  }

  // ---- helpers ----

  /**
   * Runs a synchronous mutation under an optional Idempotency-Key, persists its effects together
   * with the key, and only then starts the new operation's work.
   */
  private async idempotent(
    idempotency: IdempotencyContext | undefined,
    mutate: () => OperationRecord,
  ): Promise<Accepted> {
    if (idempotency !== undefined) {
      const remembered = this.state.idempotency[idempotency.key];
      if (remembered !== undefined) {
        if (remembered.fingerprint !== idempotency.fingerprint) {
          throw problem(
            "idempotency_key_mismatch",
            `Idempotency-Key: ${JSON.stringify(idempotency.key)} was used for a different request`,
          );
        }
        // The first request may still be waiting for its write; a replay is acknowledged only once durable.
        await this.persistAndStart();
        return { operation: this.operation(remembered.operationId), replayed: true };
      }
    }
    const operation = mutate();
    if (idempotency !== undefined) {
      this.state.idempotency[idempotency.key] = {
        fingerprint: idempotency.fingerprint,
        operationId: operation.id,
        at: this.now(),
      };
    }
    await this.persistAndStart();
    return { operation, replayed: false };
  }

  /**
   * Saves, then starts the work of the operations recorded before the save began. When the save
   * fails the work stays queued for the next save that succeeds, which holds it too: dropped, its
   * operations would stay running, and their resources busy, until a restart.
   */
  private async persistAndStart(): Promise<void> {
    pruneFinishedOperations(this.state, this.now());
    const started = this.started.splice(0);
    try {
      await this.deps.save();
    } catch (error) {
      this.started.unshift(...started);
      throw error;
    }
    for (const work of started) this.deps.schedule(work);
  }

  /** Records a new running operation; its work starts once the state holding it is durable. */
  private start(operation: OperationRecord): OperationRecord {
    this.state.operations[operation.id] = operation;
    this.started.push(operation);
    return operation;
  }

  private finishedOperation(
    kind: OperationKind,
    resourceId: string,
    result: Pick<Operation, "volume" | "attachment" | "snapshot">,
  ): OperationRecord {
    const operation = this.newOperation(kind, resourceId, { kind } as OperationInput);
    Object.assign(operation, { status: "succeeded", dueAt: this.now() }, result);
    this.state.operations[operation.id] = operation;
    return operation;
  }

  private newOperation(
    kind: OperationKind,
    resourceId: string,
    input: OperationInput,
    instanceId?: string,
  ): OperationRecord {
    const at = new Date(this.now()).toISOString();
    return {
      id: newId("op"),
      kind,
      status: "running",
      resourceId,
      ...(instanceId === undefined ? {} : { instanceId }),
      createdAt: at,
      updatedAt: at,
      input,
      dueAt: this.now() + this.config.latencyMs(kind),
    };
  }

  private operation(operationId: string): OperationRecord {
    const operation = this.state.operations[operationId];
    if (operation === undefined) throw problem("not_found", `operation ${operationId} does not exist`);
    return operation;
  }

  private volume(volumeId: string, field = "volumeId"): VolumeRecord {
    const volume = this.state.volumes[volumeId];
    if (volume === undefined) {
      throw problem("not_found", `${field}: volume ${volumeId} does not exist`, { resourceId: volumeId });
    }
    return volume;
  }

  private snapshot(snapshotId: string, field = "snapshotId"): SnapshotRecord {
    const snapshot = this.state.snapshots[snapshotId];
    if (snapshot === undefined) {
      throw problem("not_found", `${field}: snapshot ${snapshotId} does not exist`, {
        resourceId: snapshotId,
      });
    }
    return snapshot;
  }

  private instance(instanceId: string, field = "instanceId"): InstanceRecord {
    const instance = this.state.instances.find((i) => i.id === instanceId);
    if (instance === undefined) {
      throw problem("not_found", `${field}: instance ${instanceId} does not exist`, {
        resourceId: instanceId,
      });
    }
    return instance;
  }

  private zone(name: string, field: string, code: "invalid_argument" | "not_found"): string {
    const zone = this.config.zones.find((z) => z.name === name);
    if (zone === undefined) {
      const known = this.config.zones.map((z) => z.name).join(", ");
      throw problem(code, `${field}: ${JSON.stringify(name)} is not a zone (zones: ${known})`);
    }
    if (zone.status !== "available" && code === "invalid_argument") {
      throw problem("insufficient_capacity", `${field}: zone ${name} is unavailable for new volumes`);
    }
    return zone.name;
  }

  private volumeType(
    name: string,
    field: string,
    code: "invalid_argument" | "not_found" | "internal",
  ): VolumeType {
    const type = this.config.volumeTypes.find((t) => t.name === name);
    if (type === undefined) {
      const known = this.config.volumeTypes.map((t) => t.name).join(", ");
      throw problem(code, `${field}: ${JSON.stringify(name)} is not a volume type (types: ${known})`);
    }
    return type;
  }

  private performance(
    type: VolumeType,
    iops: number | undefined,
    throughputMiBps: number | undefined,
  ): { iops?: number; throughputMiBps?: number } {
    const pick = (field: string, value: number | undefined, bounds: Schemas["IntegerBounds"] | undefined) => {
      if (bounds === undefined) {
        if (value !== undefined) {
          throw problem(
            "invalid_argument",
            `${field}: type ${type.name} has fixed ${field}; ${value} cannot be set`,
          );
        }
        return undefined;
      }
      const chosen = value ?? bounds.default;
      if (chosen < bounds.min || chosen > bounds.max) {
        throw problem(
          "out_of_range",
          `${field}: ${chosen} is outside ${bounds.min}..${bounds.max} of type ${type.name}`,
        );
      }
      return chosen;
    };
    const chosenIops = pick("iops", iops, type.iops);
    const chosenThroughput = pick("throughputMiBps", throughputMiBps, type.throughputMiBps);
    return {
      ...(chosenIops === undefined ? {} : { iops: chosenIops }),
      ...(chosenThroughput === undefined ? {} : { throughputMiBps: chosenThroughput }),
    };
  }

  private checkSizeBounds(type: VolumeType, sizeBytes: number): void {
    if (sizeBytes < type.minSizeBytes || sizeBytes > type.maxSizeBytes) {
      throw problem(
        "out_of_range",
        `sizeBytes: ${sizeBytes} is outside ${type.minSizeBytes}..${type.maxSizeBytes} of type ${type.name}`,
      );
    }
  }

  private checkRoomFor(zone: string, type: string, addedBytes: number, addedVolumes: number): void {
    const { quotas, poolCapacityBytes } = this.config;
    const volumes = Object.keys(this.state.volumes).length;
    if (volumes + addedVolumes > quotas.maxVolumes) {
      throw problem("quota_exceeded", `volumes: the quota of ${quotas.maxVolumes} volumes is used up`);
    }
    const used = this.usedBytes();
    if (used + addedBytes > quotas.maxVolumeBytes) {
      throw problem(
        "quota_exceeded",
        `sizeBytes: ${addedBytes} more bytes exceed the quota of ${quotas.maxVolumeBytes} bytes (${used} used)`,
      );
    }
    const pool = this.usedBytes(zone, type);
    if (pool + addedBytes > poolCapacityBytes) {
      throw problem(
        "insufficient_capacity",
        `sizeBytes: ${addedBytes} more bytes do not fit in zone ${zone} type ${type} (${poolCapacityBytes - pool} available)`,
      );
    }
  }

  private usedBytes(zone?: string, type?: string): number {
    let used = 0;
    for (const v of Object.values(this.state.volumes)) {
      if ((zone === undefined || v.zone === zone) && (type === undefined || v.type === type))
        used += v.sizeBytes;
    }
    return used;
  }

  private requireSettled(volume: VolumeRecord, field: string): void {
    if (volume.status !== "available" && volume.status !== "in-use") {
      throw problem(
        "conflict",
        `${field}: volume ${volume.id} is ${volume.status}, not available or in-use`,
        {
          resourceId: volume.id,
        },
      );
    }
  }

  private requireNotBusy(volume: VolumeRecord): void {
    if (volume.busyOperationId !== undefined) {
      const busy = this.state.operations[volume.busyOperationId];
      throw problem(
        "conflict",
        `volume ${volume.id} has operation ${volume.busyOperationId} (${busy?.kind ?? "unknown"}) running`,
        { resourceId: volume.id },
      );
    }
    const pending = Object.values(this.state.snapshots).find(
      (s) => s.status === "pending" && s.sourceVolumeId === volume.id,
    );
    if (pending !== undefined) {
      throw problem("conflict", `volume ${volume.id} has snapshot ${pending.id} pending`, {
        resourceId: volume.id,
      });
    }
  }

  /** A volume being copied into a clone must keep its size and exist until the copy is done. */
  private requireNotCopySource(volume: VolumeRecord): void {
    const clone = Object.values(this.state.volumes).find(
      (v) => v.status === "creating" && v.sourceVolumeId === volume.id,
    );
    if (clone !== undefined) {
      throw problem("conflict", `volume ${volume.id} is being cloned into volume ${clone.id}`, {
        resourceId: volume.id,
      });
    }
  }

  private volumeByName(name: string): VolumeRecord | undefined {
    return Object.values(this.state.volumes).find((v) => v.name === name);
  }

  private volumesInOrder(): VolumeRecord[] {
    return Object.values(this.state.volumes).sort((a, b) => a.seq - b.seq);
  }

  private attachedVolumeIds(instanceId: string): string[] {
    return this.volumesInOrder()
      .filter((v) => v.attachments.some((a) => a.instanceId === instanceId))
      .map((v) => v.id);
  }

  private nextSeq(): number {
    this.state.seq += 1;
    return this.state.seq;
  }

  private instanceView(instance: InstanceRecord): Instance {
    return {
      id: instance.id,
      name: instance.name,
      zone: instance.zone,
      maxAttachedVolumes: instance.maxAttachedVolumes,
      attachedVolumeIds: this.attachedVolumeIds(instance.id),
    };
  }
}

export function volumeView(volume: VolumeRecord): Volume {
  const { seq: _seq, spec: _spec, createOperationId: _create, busyOperationId: _busy, ...view } = volume;
  return { ...view, tags: { ...view.tags }, attachments: volume.attachments.map(attachmentView) };
}

export function attachmentView(attachment: AttachmentRecord): Attachment {
  const { operationId: _operationId, ...view } = attachment;
  return { ...view };
}

export function snapshotView(snapshot: SnapshotRecord): Snapshot {
  const { seq: _seq, createOperationId: _create, deleteOperationId: _delete, ...view } = snapshot;
  return { ...view, tags: { ...view.tags } };
}

export function operationView(operation: OperationRecord): Operation {
  const { input: _input, dueAt: _dueAt, ...view } = operation;
  return view;
}

/** available ⇄ in-use follows the attachments; other statuses are set by the lifecycle. */
export function settleStatus(volume: VolumeRecord): void {
  if (volume.status === "available" || volume.status === "in-use") {
    volume.status = volume.attachments.length > 0 ? "in-use" : "available";
  }
}

function requestedSize(request: ResizeVolumeRequest): number {
  if (request.sizeBytes !== undefined && request.sizeGiB !== undefined) {
    throw problem("invalid_argument", "sizeBytes and sizeGiB: give one of them, not both");
  }
  const size = request.sizeGiB !== undefined ? request.sizeGiB * GiB : request.sizeBytes;
  if (size === undefined) throw problem("invalid_argument", "sizeBytes: required (or sizeGiB)");
  return size;
}

function roundUp(value: number, granularity: number): number {
  return Math.ceil(value / granularity) * granularity;
}

/** What a create asked for, normalised (sizes rounded, defaults applied), to compare retries with. */
function requestedSpec(
  request: CreateVolumeRequest,
  requestedBytes: number | undefined,
  type: VolumeType,
  performance: { iops?: number; throughputMiBps?: number },
): VolumeSpec {
  return {
    ...(requestedBytes === undefined
      ? {}
      : { sizeBytes: roundUp(requestedBytes, type.sizeGranularityBytes) }),
    zone: request.zone,
    type: type.name,
    ...performance,
    encrypted: request.encrypted === true,
    ...(request.kmsKeyId === undefined ? {} : { kmsKeyId: request.kmsKeyId }),
    tags: request.tags ?? {},
    ...(request.sourceSnapshotId === undefined ? {} : { sourceSnapshotId: request.sourceSnapshotId }),
    ...(request.sourceVolumeId === undefined ? {} : { sourceVolumeId: request.sourceVolumeId }),
  };
}

function sameSpec(a: VolumeSpec, b: VolumeSpec): boolean {
  return (
    a.sizeBytes === b.sizeBytes &&
    a.zone === b.zone &&
    a.type === b.type &&
    a.iops === b.iops &&
    a.throughputMiBps === b.throughputMiBps &&
    a.encrypted === b.encrypted &&
    a.kmsKeyId === b.kmsKeyId &&
    a.sourceSnapshotId === b.sourceSnapshotId &&
    a.sourceVolumeId === b.sourceVolumeId &&
    sameTags(a.tags, b.tags)
  );
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
