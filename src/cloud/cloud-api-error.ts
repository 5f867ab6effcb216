import { CloudError } from "./call-errors.js";
import { parseRetryAfterMs } from "./server-hints.js";

/**
 * An error answer of the block-storage API, decoded from RFC 9457 problem+json. `code` is the
 * contract's stable machine code; bodies that are not problem+json (a proxy's HTML 502, an empty
 * 503) get a code derived from the HTTP status, so an adapter's table from codes to meanings
 * still applies.
 */
export class CloudApiError extends CloudError {
  override readonly name = "CloudApiError";

  constructor(
    operation: string,
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** The server's `Retry-After` (or the problem's `retryAfterSeconds`), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(operation, `cloud ${operation}: ${status} ${code}: ${detail}`);
  }
}

const CODE_OF_STATUS: Record<number, string> = {
  400: "invalid_argument",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  422: "invalid_argument",
  429: "rate_limited",
  500: "internal",
  502: "unavailable",
  503: "unavailable",
  504: "unavailable",
};

export function codeOfStatus(status: number): string {
  return CODE_OF_STATUS[status] ?? (status >= 500 ? "unavailable" : "invalid_argument");
}

/**
 * Builds the typed error from a failed response. `body` is what the HTTP layer parsed: the
 * problem object, or raw text when the body was not JSON.
 */
export function decodeProblem(
  operation: string,
  status: number,
  headers: Headers,
  body: unknown,
  nowMs: number,
): CloudApiError {
  const problem = isRecord(body) ? body : {};
  const code = typeof problem.code === "string" && problem.code !== "" ? problem.code : codeOfStatus(status);
  const detail =
    stringField(problem, "detail") ??
    stringField(problem, "title") ??
    (typeof body === "string" && body.trim() !== "" ? body.trim().slice(0, 200) : `HTTP ${status}`);
  const retryAfterMs =
    parseRetryAfterMs(headers.get("retry-after"), nowMs) ??
    (typeof problem.retryAfterSeconds === "number" ? problem.retryAfterSeconds * 1000 : undefined);
  return new CloudApiError(operation, status, code, detail, retryAfterMs);
}

/** Decodes a problem embedded in another document (a failed operation's `error`). */
export function problemToError(operation: string, problem: unknown): CloudApiError {
  const record = isRecord(problem) ? problem : {};
  const status = typeof record.status === "number" ? record.status : 500;
  return decodeProblem(operation, status, new Headers(), record, 0);
}

/** Whether a parsed body is a JSON object, the only shape an API's error body can have. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}
