import type { Client } from "openapi-fetch";
import { type ApiClientPartsOptions, apiClientParts } from "../../cloud/api-client-parts.js";
import type { AttemptResult, CallRunner, HttpMethod, RequestOptions } from "../../cloud/call-runner.js";
import { DEFAULT_POLL_POLICY, OperationWaiter, type PollPolicy } from "../../cloud/operation-waiter.js";
import { createHttpTransport, type HttpTransport } from "../../cloud/transport.js";
import type { components, paths } from "../../generated/hetzner-cloud.v1.js";
import { BallastError } from "../../shared/errors.js";
import { decodeHetznerError } from "./api-errors.js";
import { DEFAULT_REFUSAL_RETRY, type RefusalRetryPolicy, retryRefusals } from "./refusal-retry.js";

export type HetznerVolume = components["schemas"]["Volume"];
export type HetznerAction = components["schemas"]["Action"];
export type HetznerServer = components["schemas"]["Server"];
export type HetznerVolumeCreate = components["schemas"]["VolumeCreate"];
export type HetznerPagination = components["schemas"]["Pagination"];

/** An action as the shared waiter sees it; the failed action's error becomes a CloudApiError. */
interface ActionOperation {
  id: string;
  kind: string;
  status: "running" | "succeeded" | "failed";
  error?: unknown;
}

const STATUS_OF_ACTION = { running: "running", success: "succeeded", error: "failed" } as const;

function toOperation(action: HetznerAction): ActionOperation {
  // The waiter decodes a failed operation's problem: the action's code and message, with a status
  // that makes an unmapped code a permanent failure rather than a transient one.
  const error = action.error && { code: action.error.code, detail: action.error.message, status: 422 };
  return { id: String(action.id), kind: action.command, status: STATUS_OF_ACTION[action.status], error };
}

/**
 * Hetzner polls its actions about once a second in its own tools; volume actions finish in a
 * few seconds. Every poll costs a request of the hourly budget, so start at half a second.
 */
export const HETZNER_POLL_POLICY: PollPolicy = { ...DEFAULT_POLL_POLICY, initialDelayMs: 500 };

/** `baseUrl` is e.g. `https://api.hetzner.cloud/v1` (the description's paths are appended). */
export interface HetznerClientOptions extends ApiClientPartsOptions {
  refusalRetry?: Partial<RefusalRetryPolicy>;
  poll?: Partial<PollPolicy>;
  /** Waits between refusal retries; tests make time pass without sleeping. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface VolumeQuery {
  name?: string | undefined;
  labelSelector?: string | undefined;
  page?: number | undefined;
  perPage?: number | undefined;
}

/**
 * Typed client of the Hetzner Cloud endpoints Ballast uses (openapi/providers/hetzner-cloud.v1.yaml),
 * over the shared machinery: one rate limiter, the CallRunner's retries of reads and deletes on
 * transport failures and 5xx, and the OperationWaiter polling `/actions/{id}`. What is Hetzner's
 * own is here: its error body, `RateLimit-Reset` as the wait of a 429, and the retry of refusals
 * that did nothing (`locked`, `conflict`, `rate_limit_exceeded`) for every method. Errors leave as
 * CloudErrors with Hetzner's code; what they mean to the CSI layer is the adapter's mapping.
 */
export class HetznerClient {
  private readonly http: Client<paths>;
  private readonly runner: CallRunner;
  private readonly waiter: OperationWaiter<ActionOperation>;
  private readonly now: () => number;
  private readonly refusalRetry: RefusalRetryPolicy;

  constructor(
    private readonly transport: Pick<HttpTransport, "fetch" | "Request" | "close">,
    private readonly options: HetznerClientOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.refusalRetry = { ...DEFAULT_REFUSAL_RETRY, ...options.refusalRetry };
    const parts = apiClientParts<paths>(transport, options);
    this.http = parts.http;
    this.runner = parts.runner;
    this.waiter = new OperationWaiter<ActionOperation>({
      fetchOperation: async (id, callOptions) => ({
        operation: toOperation(await this.getAction(Number(id), callOptions)),
      }),
      policy: { ...HETZNER_POLL_POLICY, ...options.poll },
      metrics: options.metrics,
      logger: options.logger,
      now: this.now,
      random: options.random,
    });
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** POST /volumes: the volume (still `creating`) and the action that makes it. */
  async createVolume(
    body: HetznerVolumeCreate,
    options: RequestOptions,
  ): Promise<{ volume: HetznerVolume; action: HetznerAction }> {
    const { volume, action } = await this.call("create_volume", "POST", options, (signal) =>
      this.http.POST("/volumes", { body, signal }),
    );
    return { volume, action };
  }

  async getVolume(id: number, options: RequestOptions): Promise<HetznerVolume> {
    const data = await this.call("get_volume", "GET", options, (signal) =>
      this.http.GET("/volumes/{id}", { params: { path: { id } }, signal }),
    );
    return data.volume;
  }

  listVolumes(
    query: VolumeQuery,
    options: RequestOptions,
  ): Promise<{ volumes: HetznerVolume[]; pagination: HetznerPagination }> {
    return this.call("list_volumes", "GET", options, (signal) =>
      this.http.GET("/volumes", {
        params: {
          query: {
            name: query.name,
            label_selector: query.labelSelector,
            page: query.page,
            per_page: query.perPage,
          },
        },
        signal,
      }),
    ).then((data) => ({ volumes: data.volumes, pagination: data.meta.pagination }));
  }

  async deleteVolume(id: number, options: RequestOptions): Promise<void> {
    await this.call("delete_volume", "DELETE", options, (signal) =>
      this.http.DELETE("/volumes/{id}", { params: { path: { id } }, signal }),
    );
  }

  async attachVolume(id: number, server: number, options: RequestOptions): Promise<HetznerAction> {
    const data = await this.call("attach_volume_to_server", "POST", options, (signal) =>
      this.http.POST("/volumes/{id}/actions/attach", { params: { path: { id } }, body: { server }, signal }),
    );
    return data.action;
  }

  async detachVolume(id: number, options: RequestOptions): Promise<HetznerAction> {
    const data = await this.call("detach_volume", "POST", options, (signal) =>
      this.http.POST("/volumes/{id}/actions/detach", { params: { path: { id } }, signal }),
    );
    return data.action;
  }

  async resizeVolume(id: number, size: number, options: RequestOptions): Promise<HetznerAction> {
    const data = await this.call("resize_volume", "POST", options, (signal) =>
      this.http.POST("/volumes/{id}/actions/resize", { params: { path: { id } }, body: { size }, signal }),
    );
    return data.action;
  }

  async getServer(id: number, options: RequestOptions): Promise<HetznerServer> {
    const data = await this.call("get_server", "GET", options, (signal) =>
      this.http.GET("/servers/{id}", { params: { path: { id } }, signal }),
    );
    if (data.server === undefined) {
      throw new BallastError("Internal", `cloud get_server: Hetzner answered server ${id} without it`);
    }
    return data.server;
  }

  async getAction(id: number, options: RequestOptions): Promise<HetznerAction> {
    const data = await this.call("get_action", "GET", options, (signal) =>
      this.http.GET("/actions/{id}", { params: { path: { id } }, signal }),
    );
    return data.action;
  }

  /**
   * Polls the action at `/actions/{id}` until it succeeds (returned) or fails (its error as a
   * CloudApiError with the action's code), bounded by the deadline.
   */
  async waitForAction(action: HetznerAction, options: RequestOptions): Promise<void> {
    await this.waiter.wait({ operation: toOperation(action) }, options);
  }

  /**
   * One API call through the shared runner, repeated after a refusal that did nothing. A non-2xx
   * answer leaves the attempt as Hetzner's error (a CloudError, which the runner passes through).
   */
  private call<T>(
    operation: string,
    method: HttpMethod,
    options: RequestOptions,
    send: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  ): Promise<T> {
    const attempt = async (signal: AbortSignal): Promise<AttemptResult<T>> => {
      const result = await send(signal);
      const { response } = result;
      if (!response.ok) {
        if (response.status === 429) this.options.metrics?.cloudThrottles.inc({ operation });
        throw decodeHetznerError(operation, response.status, response.headers, result.error, this.now());
      }
      return result;
    };
    return retryRefusals(
      operation,
      options,
      {
        policy: this.refusalRetry,
        now: this.now,
        sleep: this.options.sleep,
        random: this.options.random,
        onRetry: (op, reason) => this.options.metrics?.cloudRetries.inc({ operation: op, reason }),
      },
      async () => (await this.runner.run({ operation, method }, options, attempt)).data,
    );
  }
}

/** Builds a client with its own connection pool; call `close()` when done. */
export function createHetznerClient(options: HetznerClientOptions & { caFile?: string }): HetznerClient {
  return new HetznerClient(createHttpTransport({ caFile: options.caFile }), options);
}
