import type { IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { ContractViolation } from "../config.js";
import { type ContractOperation, responseValidator, violations } from "../contract.js";
import type { FaultInjector } from "../faults.js";
import { newId } from "../ids.js";
import { problem } from "../problems.js";
import type { RequestLog } from "../request-log.js";
import { headerValue, readBody } from "./http-basics.js";

/** The faults a request log entry can name. */
export type InjectedFault = "error" | "rateLimit" | "latency" | "dropConnection" | "crashAfterCommit";

/**
 * One request's entry in the request log, filled in as the front learns its operation and fault,
 * and written when the request ends (status 0: the connection was dropped). Without a log (a path
 * outside the API) nothing is written.
 */
export class RequestRecord {
  readonly id = newId("req");
  operationId = "unknown";
  fault: InjectedFault | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly log: RequestLog | undefined,
    private readonly method: string,
    private readonly path: string,
    private readonly idempotencyKey?: string,
  ) {}

  finish(status: number): void {
    this.log?.record({
      id: this.id,
      at: new Date().toISOString(),
      method: this.method,
      path: this.path,
      operationId: this.operationId,
      status,
      durationMs: Math.round((performance.now() - this.started) * 1000) / 1000,
      ...(this.fault === undefined ? {} : { fault: this.fault }),
      ...(this.idempotencyKey === undefined ? {} : { idempotencyKey: this.idempotencyKey }),
    });
  }
}

/** How a face words an injected failure: each API answers in its own error body and headers. */
export interface InjectedFailures {
  /** An injected 5xx; `retryAfterSeconds` is set for a 503 that names a retry time. */
  serverError(status: number, retryAfterSeconds: number | undefined, operationId: string): Error;
  rateLimited(retryAfterSeconds: number, operationId: string): Error;
}

export interface FaultOutcome {
  /** The fault this request carries, for the request log. */
  fault?: InjectedFault;
  /** The connection was dropped: nothing more may be written or handled. */
  dropped?: true;
  /** The injected failure to answer with instead of handling the request. */
  failure?: Error;
}

/**
 * Applies what the fault injector chose for one call, the same on every face: waits the injected
 * latency, then drops the connection, or hands back the face's own error for an injected failure
 * or rate limit. `crashAfterCommit` is only marked: the handler runs, then the caller drops the
 * connection before answering.
 */
export async function injectFaults(
  faults: FaultInjector,
  operationId: string,
  request: IncomingMessage,
  failures: InjectedFailures,
): Promise<FaultOutcome> {
  const outcome = faults.decide(operationId);
  let fault: InjectedFault | undefined;
  if (outcome.latencyMs > 0) {
    fault = "latency";
    await sleep(outcome.latencyMs);
  }
  const decision = outcome.decision;
  switch (decision.kind) {
    case "dropConnection":
      request.socket.destroy();
      return { fault: "dropConnection", dropped: true };
    case "error":
      return {
        fault: "error",
        failure: failures.serverError(decision.status, decision.retryAfterSeconds, operationId),
      };
    case "rateLimit":
      return { fault: "rateLimit", failure: failures.rateLimited(decision.retryAfterSeconds, operationId) };
    case "crashAfterCommit":
      return { fault: "crashAfterCommit" };
    default:
      return fault === undefined ? {} : { fault };
  }
}

export interface RequestInput {
  /** Path parameters, coerced to the types the description gives them. */
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  header: Record<string, unknown>;
  body: unknown;
}

/**
 * A request's parameters and body, checked against its operation in the description. A request
 * that breaks it is `invalid_argument` carrying the violations (`errors`); a malformed body is
 * marked the same way, because it too is malformed rather than refused.
 */
export async function readRequestInput(
  request: IncomingMessage,
  url: URL,
  operation: ContractOperation,
  pathParams: Record<string, string>,
): Promise<RequestInput> {
  const query: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const spec = operation.parameters.find((p) => p.in === "query" && p.name === key);
    query[key] = spec?.schema.type === "array" ? url.searchParams.getAll(key) : url.searchParams.get(key);
  }
  const header: Record<string, unknown> = {};
  for (const parameter of operation.parameters.filter((p) => p.in === "header")) {
    const value = headerValue(request, parameter.name.toLowerCase());
    if (value !== undefined) header[parameter.name.toLowerCase()] = value;
  }
  const params = { path: { ...pathParams } as Record<string, unknown>, query, header };
  if (!operation.validateParameters(params)) {
    const found = violations(operation.validateParameters.errors);
    throw problem("invalid_argument", describeViolations(found), { errors: found });
  }
  const raw = await readBody(request);
  let body: unknown;
  if (operation.validateBody !== undefined) {
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
      throw problem("invalid_argument", describeViolations(found), { errors: found });
    }
  }
  return { ...params, body };
}

/**
 * How an answer breaks the operation's documented responses, if it does. Checked as it goes on
 * the wire, so a field the JSON text drops (undefined) counts as absent.
 */
export function responseViolation(
  operation: ContractOperation,
  status: number,
  body: unknown,
): ContractViolation | undefined {
  const at = { operationId: operation.operationId, status };
  const validate = responseValidator(operation, status);
  if (validate === undefined) {
    return { ...at, message: `status ${status} is not documented for ${operation.operationId}` };
  }
  if (validate === null) {
    return body === undefined ? undefined : { ...at, message: `status ${status} must not have a body` };
  }
  if (body === undefined) return { ...at, message: `status ${status} needs a body` };
  if (validate(JSON.parse(JSON.stringify(body)))) return undefined;
  return { ...at, message: describeViolations(violations(validate.errors)) };
}

export function describeViolations(found: { pointer: string; message: string }[]): string {
  return found.map((v) => `${v.pointer}: ${v.message}`).join("; ");
}
