import type { Client } from "openapi-fetch";
import { type ApiClientPartsOptions, apiClientParts } from "../../cloud/api-client-parts.js";
import type {
  AttemptResult,
  CallDescription,
  CallRunner,
  HttpMethod,
  RequestOptions,
} from "../../cloud/call-runner.js";
import { DEFAULT_POLL_POLICY, OperationWaiter, type PollPolicy } from "../../cloud/operation-waiter.js";
import { createHttpTransport, type HttpTransport } from "../../cloud/transport.js";
import type { components, paths } from "../../generated/digitalocean.v2.js";
import type { Metrics } from "../../observability/metrics.js";
import { BallastError } from "../../shared/errors.js";
import { decodeDigitalOceanError } from "./api-errors.js";

export type DoVolume = components["schemas"]["Volume"];
export type DoVolumeCreate = components["schemas"]["VolumeCreate"];
export type DoAction = components["schemas"]["Action"];
export type DoSnapshot = components["schemas"]["Snapshot"];
export type DoSnapshotCreate = components["schemas"]["SnapshotCreate"];
export type DoDroplet = components["schemas"]["Droplet"];
export type DoRegion = components["schemas"]["RegionSlug"];
export type DoVolumeAction =
  | components["schemas"]["VolumeActionAttach"]
  | components["schemas"]["VolumeActionDetach"]
  | components["schemas"]["VolumeActionResize"];

/** An action as the shared waiter sees it: `<volume id>/<action id>`, so a poll knows both. */
interface ActionOperation {
  id: string;
  kind: string;
  status: "running" | "succeeded" | "failed";
  error?: unknown;
}

const STATUS_OF_ACTION = { "in-progress": "running", completed: "succeeded", errored: "failed" } as const;

function toOperation(volumeId: string, action: DoAction): ActionOperation {
  if (action.id === undefined) {
    throw new BallastError("Internal", `${volumeId}: DigitalOcean answered an action without an id`);
  }
  const kind = action.type ?? "volume_action";
  const status = STATUS_OF_ACTION[action.status ?? "in-progress"];
  // DigitalOcean says no more than "errored"; the status makes the failure a permanent one.
  const error =
    status === "failed"
      ? {
          code: "action_errored",
          status: 422,
          detail: `DigitalOcean reports action ${action.id} (${kind}) on volume ${volumeId} errored`,
        }
      : undefined;
  return { id: `${volumeId}/${action.id}`, kind, status, error };
}

/** Volume actions finish in seconds; every poll costs a request of the hourly budget. */
export const DIGITALOCEAN_POLL_POLICY: PollPolicy = { ...DEFAULT_POLL_POLICY, initialDelayMs: 1_000 };

/**
 * DigitalOcean has no idempotency keys, yet every write the adapter sends may be sent again: a
 * create (volume or snapshot) repeated after it took effect is refused because the name is taken,
 * and the adapter then finds what the first one made; an attach, detach or resize repeated after
 * it took effect is refused too, and the adapter reads the volume to see it is done. The shared
 * runner repeats only writes that carry a key, so every POST carries this marker: it tells the
 * runner, not DigitalOcean, that a 429, a 5xx or a lost answer may be retried.
 */
const REPEATABLE_WRITE = "digitalocean-name-or-state-checked";

/** `baseUrl` is e.g. `https://api.digitalocean.com` (the description's paths start with `/v2`). */
export interface DigitalOceanClientOptions extends ApiClientPartsOptions {
  poll?: Partial<PollPolicy>;
  random?: () => number;
}

export interface VolumeQuery {
  name?: string | undefined;
  region?: DoRegion | undefined;
  page?: number | undefined;
  perPage?: number | undefined;
}

export interface PageQuery {
  page?: number | undefined;
  perPage?: number | undefined;
}

/** A page of a list, and whether DigitalOcean links a next one. */
export interface ListPage<T> {
  items: T[];
  hasNext: boolean;
}

/**
 * Typed client of the DigitalOcean endpoints Ballast uses (openapi/providers/digitalocean.v2.yaml),
 * over the shared machinery: one rate limiter, the CallRunner's retries (429 after
 * `ratelimit-reset`, 5xx and transport failures with backoff) and the OperationWaiter polling
 * `/v2/volumes/{volume_id}/actions/{action_id}`. What is DigitalOcean's own is here: its error
 * body, `ratelimit-reset` as the wait of a 429, and which writes may be repeated. Errors leave as
 * CloudErrors with DigitalOcean's error id as code; what they mean is the adapter's mapping.
 */
export class DigitalOceanClient {
  private readonly http: Client<paths>;
  private readonly runner: CallRunner;
  private readonly waiter: OperationWaiter<ActionOperation>;
  private readonly now: () => number;
  private readonly metrics: Metrics | undefined;

  constructor(
    private readonly transport: Pick<HttpTransport, "fetch" | "Request" | "close">,
    options: DigitalOceanClientOptions,
  ) {
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    const parts = apiClientParts<paths>(transport, options);
    this.http = parts.http;
    this.runner = parts.runner;
    this.waiter = new OperationWaiter<ActionOperation>({
      fetchOperation: async (id, callOptions) => {
        const [volumeId = "", actionId = ""] = id.split("/");
        return {
          operation: toOperation(volumeId, await this.getAction(volumeId, Number(actionId), callOptions)),
        };
      },
      policy: { ...DIGITALOCEAN_POLL_POLICY, ...options.poll },
      metrics: options.metrics,
      logger: options.logger,
      now: this.now,
      random: options.random,
    });
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  async listVolumes(query: VolumeQuery, options: RequestOptions): Promise<ListPage<DoVolume>> {
    const data = await this.call("volumes_list", "GET", options, (signal) =>
      this.http.GET("/v2/volumes", {
        params: {
          query: { name: query.name, region: query.region, page: query.page, per_page: query.perPage },
        },
        signal,
      }),
    );
    return { items: data.volumes, hasNext: data.links?.pages?.next !== undefined };
  }

  /** POST /v2/volumes: synchronous, the volume is there when the answer is. */
  async createVolume(body: DoVolumeCreate, options: RequestOptions): Promise<DoVolume> {
    const data = await this.call("volumes_create", "POST", options, (signal) =>
      this.http.POST("/v2/volumes", { body, signal }),
    );
    return present("volumes_create", data.volume);
  }

  async getVolume(id: string, options: RequestOptions): Promise<DoVolume> {
    const data = await this.call("volumes_get", "GET", options, (signal) =>
      this.http.GET("/v2/volumes/{volume_id}", { params: { path: { volume_id: id } }, signal }),
    );
    return present("volumes_get", data.volume);
  }

  async deleteVolume(id: string, options: RequestOptions): Promise<void> {
    await this.call("volumes_delete", "DELETE", options, (signal) =>
      this.http.DELETE("/v2/volumes/{volume_id}", { params: { path: { volume_id: id } }, signal }),
    );
  }

  /** Starts attach, detach or resize; the answer is the action to wait for. */
  async postVolumeAction(id: string, body: DoVolumeAction, options: RequestOptions): Promise<DoAction> {
    const data = await this.call("volumeActions_post_byId", "POST", options, (signal) =>
      this.http.POST("/v2/volumes/{volume_id}/actions", {
        params: { path: { volume_id: id } },
        body,
        signal,
      }),
    );
    return present("volumeActions_post_byId", data.action);
  }

  async getAction(volumeId: string, actionId: number, options: RequestOptions): Promise<DoAction> {
    const data = await this.call("volumeActions_get", "GET", options, (signal) =>
      this.http.GET("/v2/volumes/{volume_id}/actions/{action_id}", {
        params: { path: { volume_id: volumeId, action_id: actionId } },
        signal,
      }),
    );
    return present("volumeActions_get", data.action);
  }

  /**
   * Polls the action until it completes (returned) or errors (a CloudApiError `action_errored`),
   * bounded by the deadline.
   */
  async waitForAction(volumeId: string, action: DoAction, options: RequestOptions): Promise<void> {
    await this.waiter.wait({ operation: toOperation(volumeId, action) }, options);
  }

  /** POST /v2/volumes/{volume_id}/snapshots: synchronous, like the volume create. */
  async createSnapshot(
    volumeId: string,
    body: DoSnapshotCreate,
    options: RequestOptions,
  ): Promise<DoSnapshot> {
    const data = await this.call("volumeSnapshots_create", "POST", options, (signal) =>
      this.http.POST("/v2/volumes/{volume_id}/snapshots", {
        params: { path: { volume_id: volumeId } },
        body,
        signal,
      }),
    );
    return present("volumeSnapshots_create", data.snapshot);
  }

  async listSnapshots(
    volumeId: string,
    query: PageQuery,
    options: RequestOptions,
  ): Promise<ListPage<DoSnapshot>> {
    const data = await this.call("volumeSnapshots_list", "GET", options, (signal) =>
      this.http.GET("/v2/volumes/{volume_id}/snapshots", {
        params: { path: { volume_id: volumeId }, query: { page: query.page, per_page: query.perPage } },
        signal,
      }),
    );
    return { items: data.snapshots ?? [], hasNext: data.links?.pages?.next !== undefined };
  }

  async getSnapshot(id: string, options: RequestOptions): Promise<DoSnapshot> {
    const data = await this.call("volumeSnapshots_get_byId", "GET", options, (signal) =>
      this.http.GET("/v2/volumes/snapshots/{snapshot_id}", { params: { path: { snapshot_id: id } }, signal }),
    );
    return present("volumeSnapshots_get_byId", data.snapshot);
  }

  async deleteSnapshot(id: string, options: RequestOptions): Promise<void> {
    await this.call("volumeSnapshots_delete_byId", "DELETE", options, (signal) =>
      this.http.DELETE("/v2/volumes/snapshots/{snapshot_id}", {
        params: { path: { snapshot_id: id } },
        signal,
      }),
    );
  }

  async getDroplet(id: number, options: RequestOptions): Promise<DoDroplet> {
    const data = await this.call("droplets_get", "GET", options, (signal) =>
      this.http.GET("/v2/droplets/{droplet_id}", { params: { path: { droplet_id: id } }, signal }),
    );
    return present("droplets_get", data.droplet);
  }

  /** One API call through the shared runner; a non-2xx answer leaves as DigitalOcean's error. */
  private async call<T>(
    operation: string,
    method: HttpMethod,
    options: RequestOptions,
    send: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  ): Promise<T> {
    const description: CallDescription =
      method === "POST" ? { operation, method, idempotencyKey: REPEATABLE_WRITE } : { operation, method };
    const attempt = async (signal: AbortSignal): Promise<AttemptResult<T>> => {
      const result = await send(signal);
      const { response } = result;
      if (!response.ok) {
        if (response.status === 429) this.metrics?.cloudThrottles.inc({ operation });
        throw decodeDigitalOceanError(operation, response.status, response.headers, result.error, this.now());
      }
      return result;
    };
    return (await this.runner.run(description, options, attempt)).data;
  }
}

/** The envelope's resource; DigitalOcean's schemas make it optional, the driver needs it. */
function present<T>(operation: string, value: T | undefined): T {
  if (value === undefined) {
    throw new BallastError("Internal", `DigitalOcean: cloud ${operation}: the answer holds no resource`);
  }
  return value;
}

/** Builds a client with its own connection pool; call `close()` when done. */
export function createDigitalOceanClient(
  options: DigitalOceanClientOptions & { caFile?: string | undefined },
): DigitalOceanClient {
  return new DigitalOceanClient(createHttpTransport({ caFile: options.caFile }), options);
}
