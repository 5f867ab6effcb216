import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "../../observability/logger.js";
import type { ContractViolation } from "../config.js";
import type { Contract, ContractOperation } from "../contract.js";
import type { FaultInjector } from "../faults.js";
import { ProblemError, problem } from "../problems.js";
import type { RequestLog } from "../request-log.js";
import type { FaceContext } from "./face.js";
import {
  injectFaults,
  type RequestInput,
  RequestRecord,
  readRequestInput,
  responseViolation,
} from "./front-steps.js";
import { BearerTokens } from "./http-basics.js";
import type { RateLimiter } from "./rate-limits.js";

export interface ApiReply {
  status: number;
  body?: unknown;
}

export type ApiInput = RequestInput;

export type ApiHandler = (input: ApiInput) => Promise<ApiReply> | ApiReply;

/** A failure in the words of the face's API: its status, its error code and a message. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** What makes one cloud's API differ from another's over the same front. */
export interface ApiDialect {
  /** Where the described paths live under the server's root, e.g. `/v1` for Hetzner's `/volumes`. */
  basePath: string;
  /** Any failure (the engine's problems, the front's own refusals) as this API's error. */
  toApiError(error: unknown): ApiError;
  errorBody(error: ApiError, requestId: string): unknown;
  /** The cloud's metadata service answers, as plain text, by path; undefined when not one of them. */
  metadata(path: string): string | undefined;
  /** Paths under which `metadata` answers, e.g. `/metadata/`. */
  metadataPrefix: string;
}

export interface ApiFrontDependencies {
  contract: Contract;
  dialect: ApiDialect;
  handlers: Record<string, ApiHandler>;
  tokens: string[];
  faults: FaultInjector;
  requestLog: RequestLog;
  rateLimiter: RateLimiter;
  /** Serves the reference cloud's own `/admin/*` routes (faults, request log, health). */
  admin: RequestListener;
  logger?: Logger;
  onContractViolation?: (violation: ContractViolation) => void;
  now?: () => number;
}

/**
 * The HTTP front of a face for another cloud's API: bearer auth, rate limiting, routing by the
 * cloud's OpenAPI description, request and response validation against it (a response that breaks
 * it becomes a 500 and is reported), fault injection, the request log, and errors in the cloud's
 * own body. `/admin/*` goes to the reference cloud's admin routes; the metadata prefix to the
 * metadata service, which like the real one needs no token.
 */
export class ApiFront {
  private readonly tokens: BearerTokens;
  private readonly now: () => number;

  constructor(private readonly deps: ApiFrontDependencies) {
    this.tokens = new BearerTokens(deps.tokens);
    this.now = deps.now ?? Date.now;
  }

  readonly listener = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? "/", "http://reference-cloud");
    if (url.pathname.startsWith("/admin/")) {
      this.deps.admin(request, response);
      return;
    }
    if (url.pathname.startsWith(this.deps.dialect.metadataPrefix)) {
      const text = this.deps.dialect.metadata(url.pathname);
      response.writeHead(text === undefined ? 404 : 200, { "Content-Type": "text/plain" });
      response.end(text ?? "not found\n");
      return;
    }
    this.serve(request, response, url).catch((error: unknown) => {
      this.deps.logger?.error({ err: error }, "request handling failed");
      if (!response.headersSent) response.destroy();
    });
  };

  private async serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? "GET";
    const { dialect } = this.deps;
    const record = new RequestRecord(this.deps.requestLog, method, url.pathname);
    const requestId = record.id;
    let rateHeaders: Record<string, string> = {};

    let operation: ContractOperation | undefined;
    let reply: ApiReply;
    try {
      this.tokens.authenticate(request);
      const taken = this.deps.rateLimiter.take(this.now());
      rateHeaders = taken.headers;
      if (!taken.allowed) throw problem("rate_limited", "API rate limit exceeded");
      const path = url.pathname.startsWith(`${dialect.basePath}/`)
        ? url.pathname.slice(dialect.basePath.length)
        : undefined;
      const routed = path === undefined ? { methodMismatch: false } : this.deps.contract.route(method, path);
      if (!("operation" in routed)) {
        throw routed.methodMismatch
          ? problem("method_not_allowed", `${method} is not allowed on ${url.pathname}`)
          : problem("not_found", `no API path ${url.pathname}`);
      }
      operation = routed.operation;
      const { operationId } = operation;
      record.operationId = operationId;
      const injected = await injectFaults(this.deps.faults, operationId, request, {
        serverError: (status) =>
          new ProblemError(
            status === 503 ? "unavailable" : "internal",
            `injected fault: ${status} for ${operationId}`,
            {},
            status,
          ),
        rateLimited: (retryAfterSeconds) => {
          rateHeaders = this.deps.rateLimiter.exhausted(this.now(), retryAfterSeconds);
          return problem("rate_limited", `injected fault: API rate limit exceeded for ${operationId}`);
        },
      });
      record.fault = injected.fault;
      if (injected.dropped) {
        record.finish(0);
        return;
      }
      if (injected.failure !== undefined) throw injected.failure;
      const input = await readRequestInput(request, url, operation, routed.pathParams);
      const handler = this.deps.handlers[operation.operationId];
      if (handler === undefined)
        throw problem("internal", `operation ${operation.operationId} has no handler`);
      reply = await handler(input);
      if (record.fault === "crashAfterCommit") {
        request.socket.destroy();
        record.finish(0);
        return;
      }
    } catch (error) {
      reply = this.errorReply(error, requestId);
    }

    // An injected 502/504 stands for a gateway in front of the API, outside its description.
    if (operation !== undefined && record.fault !== "error") {
      const broken = responseViolation(operation, reply.status, reply.body);
      if (broken !== undefined) {
        this.deps.logger?.error({ violation: broken }, "response breaks the API description (bug)");
        this.deps.onContractViolation?.(broken);
        reply = this.errorReply(
          problem(
            "internal",
            `the server produced an answer that breaks the API description: ${broken.message}`,
          ),
          requestId,
        );
      }
    }
    const text = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      ...rateHeaders,
      ...(text === undefined ? {} : { "Content-Type": "application/json" }),
    });
    response.end(text);
    record.finish(reply.status);
    this.deps.logger?.debug(
      { requestId, method, path: url.pathname, operationId: record.operationId, status: reply.status },
      "request",
    );
  }

  private errorReply(error: unknown, requestId: string): ApiReply {
    if (!(error instanceof ProblemError) && !(error instanceof ApiError)) {
      this.deps.logger?.error({ err: error }, "unexpected error");
    }
    const failure = this.deps.dialect.toApiError(error);
    return { status: failure.status, body: this.deps.dialect.errorBody(failure, requestId) };
  }
}

/** The listener of a provider face: the front over the context's engine, faults, log and tokens. */
export function providerListener(
  context: FaceContext,
  parts: Pick<ApiFrontDependencies, "contract" | "dialect" | "handlers" | "rateLimiter">,
): RequestListener {
  return new ApiFront({
    ...parts,
    tokens: context.tokens,
    faults: context.faults,
    requestLog: context.requestLog,
    admin: context.admin,
    ...(context.logger === undefined ? {} : { logger: context.logger }),
    ...(context.onContractViolation === undefined
      ? {}
      : { onContractViolation: context.onContractViolation }),
  }).listener;
}
