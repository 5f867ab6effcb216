import createClient, { type Client } from "openapi-fetch";
import type { paths } from "../generated/block-storage.v1.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { BallastError, internal } from "../shared/errors.js";
import {
  type AttemptResult,
  type CallDescription,
  CallRunner,
  DEFAULT_RETRY_POLICY,
  type HttpMethod,
  type RequestOptions,
  type RetryPolicy,
} from "./call-runner.js";
import type {
  Attachment,
  AttachVolumeRequest,
  Capacity,
  CreateSnapshotRequest,
  CreateVolumeRequest,
  Instance,
  InstanceList,
  ModifyVolumeRequest,
  Operation,
  ResizeVolumeRequest,
  Snapshot,
  SnapshotList,
  Volume,
  VolumeList,
  VolumeType,
  Zone,
} from "./cloud-types.js";
import type { InstanceFilter, SnapshotFilter, VolumeFilter } from "./list-filters.js";
import {
  DEFAULT_POLL_POLICY,
  type OperationSnapshot,
  OperationWaiter,
  type PollPolicy,
} from "./operation-waiter.js";
import { RequestRateLimiter } from "./rate-limiter.js";
import { serverHintMs } from "./server-hints.js";
import { type TokenSource, tokenSourceFrom } from "./token-source.js";
import { createHttpTransport, type HttpTransport, type TransportOptions } from "./transport.js";

/** Options of a write: the request options plus the key that makes it safe to retry. */
export interface IdempotentRequestOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key`. With it a POST is retried on transient failures (the server
   * answers a replay with the first answer); without it a POST is sent once. Derive it from the
   * CO's name so a retried RPC or a restarted controller sends the same key.
   */
  idempotencyKey?: string;
}

/** A mutation the server accepted (202), with its hint of when to poll. */
export type PendingOperation = OperationSnapshot<Operation>;

export interface BlockStorageClientOptions {
  /** e.g. `http://127.0.0.1:8787` (the `/v1` paths are appended). */
  baseUrl: string;
  /** Exactly one of token, tokenFile and tokenSource. */
  token?: string;
  /** Re-read whenever the file changes, so rotated Secrets work without a restart. */
  tokenFile?: string;
  tokenSource?: TokenSource;
  /** PEM CA bundle trusted in addition to the system roots. */
  caFile?: string;
  /** Client-side rate limit shared by all calls: sustained requests per second (default 10). */
  qps?: number;
  /** Requests allowed at once after a quiet spell (default 20). */
  burst?: number;
  timeouts?: Omit<TransportOptions, "caFile">;
  retry?: Partial<RetryPolicy>;
  /** Backoff of operation polling when the server gives no hint. */
  poll?: Partial<PollPolicy>;
  metrics?: Metrics;
  logger?: Logger;
  userAgent?: string;
  now?: () => number;
  /** The random source of the poll delay's jitter. */
  random?: () => number;
}

export const DEFAULT_QPS = 10;
export const DEFAULT_BURST = 20;

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
    const tokens = tokenSourceFrom(options);
    this.http = createClient<paths>({
      baseUrl: validBaseUrl(options.baseUrl),
      fetch: transport.fetch,
      Request: transport.Request,
    });
    const userAgent = options.userAgent;
    this.http.use({
      async onRequest({ request }) {
        request.headers.set("authorization", `Bearer ${await tokens.token()}`);
        if (userAgent !== undefined) request.headers.set("user-agent", userAgent);
        return request;
      },
    });
    const limiter = new RequestRateLimiter({
      qps: options.qps ?? DEFAULT_QPS,
      burst: options.burst ?? DEFAULT_BURST,
      metrics: options.metrics,
      now: this.now,
    });
    this.runner = new CallRunner({
      limiter,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      metrics: options.metrics,
      logger: options.logger,
      now: this.now,
    });
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

function idempotencyHeader(options: IdempotentRequestOptions): { header?: { "Idempotency-Key": string } } {
  return options.idempotencyKey === undefined
    ? {}
    : { header: { "Idempotency-Key": options.idempotencyKey } };
}

function inline<T>(operation: Operation, resource: T | undefined, field: string): T {
  if (resource === undefined) {
    throw internal(`cloud operation ${operation.id} (${operation.kind}) succeeded without its ${field}`);
  }
  return resource;
}

function validBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BallastError("InvalidArgument", `baseUrl: ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BallastError("InvalidArgument", `baseUrl: ${JSON.stringify(value)} is not an http(s) URL`);
  }
  return value;
}
