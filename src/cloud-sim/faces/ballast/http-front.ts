import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../../observability/logger.js";
import type { ContractViolation } from "../../config.js";
import type { Contract, ContractOperation } from "../../contract.js";
import type { FaultInjector } from "../../faults.js";
import { ProblemError, problem } from "../../problems.js";
import type { RequestLog } from "../../request-log.js";
import { injectFaults, RequestRecord, readRequestInput, responseViolation } from "../front-steps.js";
import { BearerTokens, canonicalJson, headerValue } from "../http-basics.js";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HandlerInput {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  header: Record<string, unknown>;
  body: unknown;
  /** sha256 over method, path and canonical body: what an Idempotency-Key must keep meaning. */
  fingerprint: string;
}

export type Handler = (input: HandlerInput) => Promise<Reply> | Reply;

export interface HttpFrontDependencies {
  contract: Contract;
  handlers: Record<string, Handler>;
  tokens: string[];
  faults: FaultInjector;
  requestLog: RequestLog;
  logger?: Logger;
  onContractViolation?: (violation: ContractViolation) => void;
}

/**
 * The ballast API's HTTP face over the engine: bearer auth, routing by the ballast contract
 * (openapi/block-storage.v1.yaml), request and response validation, fault injection on `/v1`, the
 * request log, and RFC 9457 problem answers. Another cloud's face has its own routes and bodies.
 */
export class HttpFront {
  private readonly tokens: BearerTokens;

  constructor(private readonly deps: HttpFrontDependencies) {
    this.tokens = new BearerTokens(deps.tokens);
  }

  readonly listener = (request: IncomingMessage, response: ServerResponse): void => {
    this.serve(request, response).catch((error: unknown) => {
      this.deps.logger?.error({ err: error }, "request handling failed");
      if (!response.headersSent) response.destroy();
    });
  };

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://reference-cloud");
    const method = request.method ?? "GET";
    const isApi = url.pathname.startsWith("/v1/");
    const record = new RequestRecord(
      isApi ? this.deps.requestLog : undefined,
      method,
      url.pathname,
      headerValue(request, "idempotency-key"),
    );
    const requestId = record.id;

    let operation: ContractOperation | undefined;
    let reply: Reply;
    try {
      this.tokens.authenticate(request);
      const routed = this.deps.contract.route(method, url.pathname);
      if (!("operation" in routed)) {
        throw routed.methodMismatch
          ? problem("method_not_allowed", `${method} is not allowed on ${url.pathname}`)
          : problem("not_found", `no API path ${url.pathname}`);
      }
      operation = routed.operation;
      const { operationId } = operation;
      record.operationId = operationId;
      if (isApi) {
        const injected = await injectFaults(this.deps.faults, operationId, request, {
          serverError: (status, retryAfterSeconds) =>
            new ProblemError(
              status === 503 ? "unavailable" : "internal",
              `injected fault: ${status} for ${operationId}`,
              status === 503 ? { retryAfterSeconds } : {},
              status,
            ),
          rateLimited: (retryAfterSeconds) =>
            problem("rate_limited", `injected fault: request rate limit exceeded for ${operationId}`, {
              retryAfterSeconds,
            }),
        });
        record.fault = injected.fault;
        if (injected.dropped) {
          record.finish(0);
          return;
        }
        if (injected.failure !== undefined) throw injected.failure;
      }
      const input = await this.readInput(request, url, operation, routed.pathParams);
      reply = await this.dispatch(operation, input);
      if (record.fault === "crashAfterCommit") {
        request.socket.destroy();
        record.finish(0);
        return;
      }
    } catch (error) {
      reply = this.problemReply(error, url.pathname);
    }

    // An injected 502/504 stands for a gateway in front of the API, outside the contract.
    if (operation !== undefined && record.fault !== "error") {
      const broken = responseViolation(operation, reply.status, reply.body);
      if (broken !== undefined) {
        this.deps.logger?.error({ violation: broken }, "response breaks the contract (bug)");
        this.deps.onContractViolation?.(broken);
        reply = this.problemReply(
          problem("internal", `the server produced an answer that breaks the contract: ${broken.message}`),
          url.pathname,
        );
      }
    }
    const text = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    const problemBody = reply.status >= 400;
    response.writeHead(reply.status, {
      "X-Request-Id": requestId,
      ...(text === undefined
        ? {}
        : { "Content-Type": problemBody ? "application/problem+json" : "application/json" }),
      ...reply.headers,
    });
    response.end(text);
    record.finish(reply.status);
    this.deps.logger?.debug(
      { requestId, method, path: url.pathname, operationId: record.operationId, status: reply.status },
      "request",
    );
  }

  private async readInput(
    request: IncomingMessage,
    url: URL,
    operation: ContractOperation,
    pathParams: Record<string, string>,
  ): Promise<HandlerInput> {
    const input = await readRequestInput(request, url, operation, pathParams);
    const fingerprint = createHash("sha256")
      .update(`${operation.method} ${url.pathname} ${canonicalJson(input.body ?? null)}`)
      .digest("hex");
    return { ...input, fingerprint };
  }

  private async dispatch(operation: ContractOperation, input: HandlerInput): Promise<Reply> {
    const handler = this.deps.handlers[operation.operationId];
    if (handler === undefined) throw problem("internal", `operation ${operation.operationId} has no handler`);
    return handler(input);
  }

  private problemReply(error: unknown, instance: string): Reply {
    const failure =
      error instanceof ProblemError
        ? error
        : problem("internal", "the service failed to handle the request; see the server log");
    if (!(error instanceof ProblemError)) this.deps.logger?.error({ err: error }, "unexpected error");
    const body = failure.toProblem(instance);
    const headers: Record<string, string> = {};
    if (body.retryAfterSeconds !== undefined) headers["Retry-After"] = String(body.retryAfterSeconds);
    if (failure.code === "unauthorized") headers["WWW-Authenticate"] = "Bearer";
    return { status: failure.status, body, headers };
  }
}
