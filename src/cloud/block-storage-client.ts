import type { Client } from "openapi-fetch";
import type { paths } from "../generated/block-storage.v1.js";
import { internal } from "../shared/errors.js";
import { apiClientParts } from "./api-client-parts.js";
import type {
  AttemptResult,
  CallDescription,
  CallRunner,
  HttpMethod,
  RequestOptions,
} from "./call-runner.js";
import {
  type BlockStorageClientOptions,
  DEFAULT_BURST,
  DEFAULT_QPS,
  type IdempotentRequestOptions,
  idempotencyHeader,
  type PendingOperation,
} from "./client-options.js";
import type {
  Attachment,
  AttachVolumeRequest,
  Capacity,
  CreateSnapshotGroupRequest,
  CreateSnapshotRequest,
  CreateVolumeRequest,
  Instance,
  InstanceList,
  ModifyVolumeRequest,
  Operation,
  ResizeVolumeRequest,
  Snapshot,
  SnapshotGroup,
  SnapshotGroupList,
  SnapshotList,
  Volume,
  VolumeList,
  VolumeType,
  Zone,
} from "./cloud-types.js";
import type { InstanceFilter, SnapshotFilter, SnapshotGroupFilter, VolumeFilter } from "./list-filters.js";
import { DEFAULT_POLL_POLICY, OperationWaiter } from "./operation-waiter.js";
import { serverHintMs } from "./server-hints.js";
import { createHttpTransport, type HttpTransport } from "./transport.js";

export {
  type BlockStorageClientOptions,
  DEFAULT_BURST,
  DEFAULT_QPS,
  type IdempotentRequestOptions,
  type PendingOperation,
} from "./client-options.js";

/**
 * Typed client of the block-storage API (openapi/block-storage.v1.yaml), one method per contract
 * operation, returning the contract's schema types.
 *
 * Every method takes `{ deadline }` (absolute epoch ms, e.g. the gRPC call's deadline) and
 * optionally a `signal` that cancels it (no request is sent, and no wait goes on, after it fires).
 * Calls are rate limited (one token bucket per client), retried when safe (GET, DELETE, POST with
 * `idempotencyKey`) on network errors, 5xx and 429 with randomized exponential backoff that
 * honours `Retry-After`, and never run past the deadline.
 *
 * Errors are the API's, not the caller's: `CloudApiError` (the contract's problem `code`),
 * `CloudTransportError`, `CloudGaveUpError` when retries ran out, `CloudDeadlineError` when the
 * deadline came first, `CloudCancelledError`. What they mean to a caller is its adapter's call.
 *
 * Mutations come in two forms: `createVolume` & co. wait for the operation and return the
 * resulting resource; `startCreateVolume` / `startCreateSnapshot` return the accepted operation
 * for callers that must not block (CreateSnapshot answers `ready_to_use=false` meanwhile), and
 * `waitForOperation` finishes the wait later.
 */
export class BlockStorageClient {
  private readonly http: Client<paths>;
  private readonly runner: CallRunner;
  private readonly waiter: OperationWaiter<Operation>;
  private readonly now: () => number;

  constructor(
    private readonly transport: HttpTransport,
    options: Omit<BlockStorageClientOptions, "caFile" | "timeouts">,
  ) {
    this.now = options.now ?? Date.now;
    const parts = apiClientParts<paths>(transport, {
      ...options,
      qps: options.qps ?? DEFAULT_QPS,
      burst: options.burst ?? DEFAULT_BURST,
    });
    this.http = parts.http;
    this.runner = parts.runner;
    this.waiter = new OperationWaiter<Operation>({
      fetchOperation: (id, callOptions) => this.getOperationWithHint(id, callOptions),
      policy: { ...DEFAULT_POLL_POLICY, ...options.poll },
      metrics: options.metrics,
      logger: options.logger,
      now: this.now,
      random: options.random,
    });
  }

  /** Closes the connection pool; in-flight requests fail. */
  close(): Promise<void> {
    return this.transport.close();
  }

  // Topology

  async listZones(options: RequestOptions): Promise<Zone[]> {
    const list = await this.read("listZones", options, (signal) => this.http.GET("/v1/zones", { signal }));
    return list.items;
  }

  async listVolumeTypes(options: RequestOptions): Promise<VolumeType[]> {
    const list = await this.read("listVolumeTypes", options, (signal) =>
      this.http.GET("/v1/volume-types", { signal }),
    );
    return list.items;
  }

  /** Available bytes; a dimension left out is summed over. */
  getCapacity(filter: { zone?: string; type?: string }, options: RequestOptions): Promise<Capacity> {
    return this.read("getCapacity", options, (signal) =>
      this.http.GET("/v1/capacity", { params: { query: { zone: filter.zone, type: filter.type } }, signal }),
    );
  }

  // Volumes

  /** Creates a volume and waits until it is available. */
  async createVolume(request: CreateVolumeRequest, options: IdempotentRequestOptions): Promise<Volume> {
    const done = await this.waitForOperation(await this.startCreateVolume(request, options), options);
    return inline(done, done.volume, "volume");
  }

  startCreateVolume(
    request: CreateVolumeRequest,
    options: IdempotentRequestOptions,
  ): Promise<PendingOperation> {
    return this.mutate("createVolume", "POST", options, (signal) =>
      this.http.POST("/v1/volumes", { body: request, params: idempotencyHeader(options), signal }),
    );
  }

  getVolume(volumeId: string, options: RequestOptions): Promise<Volume> {
    return this.read("getVolume", options, (signal) =>
      this.http.GET("/v1/volumes/{volumeId}", { params: { path: { volumeId } }, signal }),
    );
  }

  /** The volume with this name, or undefined. */
  async findVolumeByName(name: string, options: RequestOptions): Promise<Volume | undefined> {
    const page = await this.listVolumes({ name, limit: 1 }, options);
    return page.items[0];
  }

  listVolumes(filter: VolumeFilter, options: RequestOptions): Promise<VolumeList> {
    const tag =
      filter.tags === undefined ? undefined : Object.entries(filter.tags).map(([k, v]) => `${k}=${v}`);
    return this.read("listVolumes", options, (signal) =>
      this.http.GET("/v1/volumes", {
        params: {
          query: {
            limit: filter.limit,
            pageToken: filter.pageToken,
            name: filter.name,
            zone: filter.zone,
            tag,
            instanceId: filter.instanceId,
          },
        },
        signal,
      }),
    );
  }

  /** Deletes a volume and waits until it is gone. An unknown volume is NotFound. */
  async deleteVolume(volumeId: string, options: RequestOptions): Promise<void> {
    const pending = await this.mutate("deleteVolume", "DELETE", options, (signal) =>
      this.http.DELETE("/v1/volumes/{volumeId}", { params: { path: { volumeId } }, signal }),
    );
    await this.waitForOperation(pending, options);
  }

  /** Grows a volume and waits; returns the volume with its new size. */
  async resizeVolume(
    volumeId: string,
    request: ResizeVolumeRequest,
    options: IdempotentRequestOptions,
  ): Promise<Volume> {
    const pending = await this.mutate("resizeVolume", "POST", options, (signal) =>
      this.http.POST("/v1/volumes/{volumeId}/resize", {
        body: request,
        params: { path: { volumeId }, ...idempotencyHeader(options) },
        signal,
      }),
    );
    const done = await this.waitForOperation(pending, options);
    return inline(done, done.volume, "volume");
  }

  /** Changes type, IOPS or throughput and waits; returns the modified volume. */
  async modifyVolume(
    volumeId: string,
    request: ModifyVolumeRequest,
    options: IdempotentRequestOptions,
  ): Promise<Volume> {
    const pending = await this.mutate("modifyVolume", "POST", options, (signal) =>
      this.http.POST("/v1/volumes/{volumeId}/modify", {
        body: request,
        params: { path: { volumeId }, ...idempotencyHeader(options) },
        signal,
      }),
    );
    const done = await this.waitForOperation(pending, options);
    return inline(done, done.volume, "volume");
  }

  // Attachments

  /**
   * Attaches and waits until attached; the attachment names the device serial and by-id path.
   * `exclusive` makes the cloud refuse (FailedPrecondition, `volume_in_use`) while the volume has
   * an attachment to another instance, whatever its type allows.
   */
  async attachVolume(
    volumeId: string,
    request: AttachVolumeRequest,
    options: IdempotentRequestOptions,
  ): Promise<Attachment> {
    const pending = await this.mutate("attachVolume", "POST", options, (signal) =>
      this.http.POST("/v1/volumes/{volumeId}/attachments", {
        body: request,
        params: { path: { volumeId }, ...idempotencyHeader(options) },
        signal,
      }),
    );
    const done = await this.waitForOperation(pending, options);
    return inline(done, done.attachment, "attachment");
  }

  /** Detaches and waits until detached. Not attached to that instance is NotFound. */
  async detachVolume(volumeId: string, instanceId: string, options: RequestOptions): Promise<void> {
    const pending = await this.mutate("detachVolume", "DELETE", options, (signal) =>
      this.http.DELETE("/v1/volumes/{volumeId}/attachments/{instanceId}", {
        params: { path: { volumeId, instanceId } },
        signal,
      }),
    );
    await this.waitForOperation(pending, options);
  }

  getAttachment(volumeId: string, instanceId: string, options: RequestOptions): Promise<Attachment> {
    return this.read("getAttachment", options, (signal) =>
      this.http.GET("/v1/volumes/{volumeId}/attachments/{instanceId}", {
        params: { path: { volumeId, instanceId } },
        signal,
      }),
    );
  }

  // Snapshots

  /** Creates a snapshot and waits until it is ready to use. */
  async createSnapshot(request: CreateSnapshotRequest, options: IdempotentRequestOptions): Promise<Snapshot> {
    const done = await this.waitForOperation(await this.startCreateSnapshot(request, options), options);
    return inline(done, done.snapshot, "snapshot");
  }

  /** Starts a snapshot; `operation.resourceId` is the snapshot's id, readable at once (pending). */
  startCreateSnapshot(
    request: CreateSnapshotRequest,
    options: IdempotentRequestOptions,
  ): Promise<PendingOperation> {
    return this.mutate("createSnapshot", "POST", options, (signal) =>
      this.http.POST("/v1/snapshots", { body: request, params: idempotencyHeader(options), signal }),
    );
  }

  getSnapshot(snapshotId: string, options: RequestOptions): Promise<Snapshot> {
    return this.read("getSnapshot", options, (signal) =>
      this.http.GET("/v1/snapshots/{snapshotId}", { params: { path: { snapshotId } }, signal }),
    );
  }

  async findSnapshotByName(name: string, options: RequestOptions): Promise<Snapshot | undefined> {
    const page = await this.listSnapshots({ name, limit: 1 }, options);
    return page.items[0];
  }

  listSnapshots(filter: SnapshotFilter, options: RequestOptions): Promise<SnapshotList> {
    return this.read("listSnapshots", options, (signal) =>
      this.http.GET("/v1/snapshots", {
        params: {
          query: {
            limit: filter.limit,
            pageToken: filter.pageToken,
            name: filter.name,
            sourceVolumeId: filter.sourceVolumeId,
          },
        },
        signal,
      }),
    );
  }

  /** Deletes a snapshot and waits until it is gone. An unknown snapshot is NotFound. */
  async deleteSnapshot(snapshotId: string, options: RequestOptions): Promise<void> {
    const pending = await this.mutate("deleteSnapshot", "DELETE", options, (signal) =>
      this.http.DELETE("/v1/snapshots/{snapshotId}", { params: { path: { snapshotId } }, signal }),
    );
    await this.waitForOperation(pending, options);
  }

  // Snapshot groups

  /** Starts a snapshot group; `operation.resourceId` is the group's id, readable at once (pending). */
  startCreateSnapshotGroup(
    request: CreateSnapshotGroupRequest,
    options: IdempotentRequestOptions,
  ): Promise<PendingOperation> {
    return this.mutate("createSnapshotGroup", "POST", options, (signal) =>
      this.http.POST("/v1/snapshot-groups", { body: request, params: idempotencyHeader(options), signal }),
    );
  }

  getSnapshotGroup(snapshotGroupId: string, options: RequestOptions): Promise<SnapshotGroup> {
    return this.read("getSnapshotGroup", options, (signal) =>
      this.http.GET("/v1/snapshot-groups/{snapshotGroupId}", {
        params: { path: { snapshotGroupId } },
        signal,
      }),
    );
  }

  async findSnapshotGroupByName(name: string, options: RequestOptions): Promise<SnapshotGroup | undefined> {
    const page = await this.listSnapshotGroups({ name, limit: 1 }, options);
    return page.items[0];
  }

  listSnapshotGroups(filter: SnapshotGroupFilter, options: RequestOptions): Promise<SnapshotGroupList> {
    return this.read("listSnapshotGroups", options, (signal) =>
      this.http.GET("/v1/snapshot-groups", {
        params: { query: { limit: filter.limit, pageToken: filter.pageToken, name: filter.name } },
        signal,
      }),
    );
  }

  /** Deletes a snapshot group with its member snapshots and waits until it is gone. */
  async deleteSnapshotGroup(snapshotGroupId: string, options: RequestOptions): Promise<void> {
    const pending = await this.mutate("deleteSnapshotGroup", "DELETE", options, (signal) =>
      this.http.DELETE("/v1/snapshot-groups/{snapshotGroupId}", {
        params: { path: { snapshotGroupId } },
        signal,
      }),
    );
    await this.waitForOperation(pending, options);
  }

  // Instances

  getInstance(instanceId: string, options: RequestOptions): Promise<Instance> {
    return this.read("getInstance", options, (signal) =>
      this.http.GET("/v1/instances/{instanceId}", { params: { path: { instanceId } }, signal }),
    );
  }

  /** The instance with this name (e.g. a Kubernetes node name), or undefined. */
  async findInstanceByName(name: string, options: RequestOptions): Promise<Instance | undefined> {
    const page = await this.listInstances({ name, limit: 1 }, options);
    return page.items[0];
  }

  listInstances(filter: InstanceFilter, options: RequestOptions): Promise<InstanceList> {
    return this.read("listInstances", options, (signal) =>
      this.http.GET("/v1/instances", {
        params: {
          query: { limit: filter.limit, pageToken: filter.pageToken, name: filter.name, zone: filter.zone },
        },
        signal,
      }),
    );
  }

  // Operations

  getOperation(operationId: string, options: RequestOptions): Promise<Operation> {
    return this.getOperationWithHint(operationId, options).then((snapshot) => snapshot.operation);
  }

  /**
   * Polls until the operation is no longer running, with the server's hints (else backoff),
   * bounded by the deadline. Returns the succeeded operation (its `volume` / `attachment` /
   * `snapshot` inline); a failed one throws the CloudApiError of its problem; the deadline
   * throws CloudDeadlineError naming the operation (which keeps running in the cloud).
   */
  waitForOperation(pending: PendingOperation, options: RequestOptions): Promise<Operation> {
    return this.waiter.wait(pending, options);
  }

  private async getOperationWithHint(
    operationId: string,
    options: RequestOptions,
  ): Promise<PendingOperation> {
    const { data, response } = await this.runner.run(
      { operation: "getOperation", method: "GET" },
      options,
      (signal) =>
        this.http.GET("/v1/operations/{operationId}", { params: { path: { operationId } }, signal }),
    );
    return { operation: data, pollHintMs: serverHintMs(response.headers, this.now()) };
  }

  private async read<T>(
    operation: string,
    options: RequestOptions,
    attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  ): Promise<T> {
    const { data } = await this.runner.run({ operation, method: "GET" }, options, attempt);
    return data;
  }

  private async mutate(
    operation: string,
    method: HttpMethod,
    options: IdempotentRequestOptions,
    attempt: (signal: AbortSignal) => Promise<AttemptResult<Operation>>,
  ): Promise<PendingOperation> {
    const call: CallDescription = { operation, method, idempotencyKey: options.idempotencyKey };
    const { data, response } = await this.runner.run(call, options, attempt);
    return { operation: data, pollHintMs: serverHintMs(response.headers, this.now()) };
  }
}

/** Builds a client with its own connection pool; call `close()` when done. */
export function createBlockStorageClient(options: BlockStorageClientOptions): BlockStorageClient {
  const transport = createHttpTransport({ ...options.timeouts, caFile: options.caFile });
  return new BlockStorageClient(transport, options);
}

function inline<T>(operation: Operation, resource: T | undefined, field: string): T {
  if (resource === undefined) {
    throw internal(`cloud operation ${operation.id} (${operation.kind}) succeeded without its ${field}`);
  }
  return resource;
}
