import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../observability/logger.js";
import type { ContractViolation } from "../config.js";
import { type Contract, type ContractOperation, responseValidator, violations } from "../contract.js";
import type { FaultInjector } from "../faults.js";
import { newId } from "../ids.js";
import { ProblemError, problem } from "../problems.js";
import type { RequestLog } from "../request-log.js";
import type { FaceContext } from "./face.js";
import { BearerTokens, readBody } from "./http-basics.js";
import type { RateLimiter } from "./rate-limits.js";

export interface ApiReply {
  status: number;
  body?: unknown;
}

export interface ApiInput {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

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
    const started = performance.now();
    const requestId = newId("req");
    const method = request.method ?? "GET";
    const { dialect } = this.deps;
    let operationId = "unknown";
    let fault: "error" | "rateLimit" | "latency" | "dropConnection" | "crashAfterCommit" | undefined;
    let rateHeaders: Record<string, string> = {};
    const finish = (status: number) => {
      this.deps.requestLog.record({
        id: requestId,
        at: new Date().toISOString(),
        method,
        path: url.pathname,
        operationId,
        status,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...(fault === undefined ? {} : { fault }),
      });
    };

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
      operationId = operation.operationId;
      const outcome = this.deps.faults.decide(operationId);
      if (outcome.latencyMs > 0) {
        fault = "latency";
        await sleep(outcome.latencyMs);
      }
      const decision = outcome.decision;
      if (decision.kind === "dropConnection") {
        fault = "dropConnection";
        request.socket.destroy();
        finish(0);
        return;
      }
      if (decision.kind === "error") {
        fault = "error";
        throw new ProblemError(
          decision.status === 503 ? "unavailable" : "internal",
          `injected fault: ${decision.status} for ${operationId}`,
          {},
          decision.status,
        );
      }
      if (decision.kind === "rateLimit") {
        fault = "rateLimit";
        rateHeaders = this.deps.rateLimiter.exhausted(this.now(), decision.retryAfterSeconds);
        throw problem("rate_limited", `injected fault: API rate limit exceeded for ${operationId}`);
      }
      if (decision.kind === "crashAfterCommit") fault = "crashAfterCommit";
      const input = await readInput(request, url, operation, routed.pathParams);
      const handler = this.deps.handlers[operation.operationId];
      if (handler === undefined)
        throw problem("internal", `operation ${operation.operationId} has no handler`);
      reply = await handler(input);
      if (fault === "crashAfterCommit") {
        request.socket.destroy();
        finish(0);
        return;
      }
    } catch (error) {
      reply = this.errorReply(error, requestId);
    }

    // An injected 502/504 stands for a gateway in front of the API, outside its description.
    if (operation !== undefined && fault !== "error") {
      const broken = contractViolation(operation, reply);
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
    finish(reply.status);
    this.deps.logger?.debug(
      { requestId, method, path: url.pathname, operationId, status: reply.status },
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

async function readInput(
  request: IncomingMessage,
  url: URL,
  operation: ContractOperation,
  pathParams: Record<string, string>,
): Promise<ApiInput> {
  const query: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const spec = operation.parameters.find((p) => p.in === "query" && p.name === key);
    query[key] = spec?.schema.type === "array" ? url.searchParams.getAll(key) : url.searchParams.get(key);
  }
  const params = { path: { ...pathParams } as Record<string, unknown>, query, header: {} };
  if (!operation.validateParameters(params)) {
    const found = violations(operation.validateParameters.errors);
    throw problem("invalid_argument", describe(found), { errors: found });
  }
  const raw = await readBody(request);
  let body: unknown;
  if (operation.validateBody !== undefined) {
    // Marked with `errors` like a schema violation: the request is malformed, not refused.
    const malformed = (message: string) =>
      problem("invalid_argument", `body: ${message}`, { errors: [{ pointer: "/", message }] });
    if (raw.length === 0) throw malformed("a JSON body is required");
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch (error) {
      throw malformed(`not valid JSON (${(error as Error).message})`);
    }
    if (!operation.validateBody(body)) {
      const found = violations(operation.validateBody.errors);
      throw problem("invalid_argument", describe(found), { errors: found });
    }
  }
  return { path: params.path, query, body };
}

function contractViolation(operation: ContractOperation, reply: ApiReply): ContractViolation | undefined {
  const at = { operationId: operation.operationId, status: reply.status };
  const validate = responseValidator(operation, reply.status);
  if (validate === undefined) {
    return { ...at, message: `status ${reply.status} is not documented for ${operation.operationId}` };
  }
  if (validate === null) {
    return reply.body === undefined
      ? undefined
      : { ...at, message: `status ${reply.status} must not have a body` };
  }
  if (reply.body === undefined) return { ...at, message: `status ${reply.status} needs a body` };
  // Validated as it goes on the wire, so a field the JSON text drops (undefined) counts as absent.
  if (validate(JSON.parse(JSON.stringify(reply.body)))) return undefined;
  return { ...at, message: describe(violations(validate.errors)) };
}

function describe(found: { pointer: string; message: string }[]): string {
  return found.map((v) => `${v.pointer}: ${v.message}`).join("; ");
}
