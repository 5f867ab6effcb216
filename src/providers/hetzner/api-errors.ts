import { CloudApiError, codeOfStatus, isRecord } from "../../cloud/cloud-api-error.js";
import { rateLimitResetWaitMs } from "../../cloud/server-hints.js";

/**
 * A failed Hetzner response as the shared CloudApiError: `code` and the message from its
 * `{error: {code, message, details}}` body (a body of another shape, e.g. a proxy's HTML 502, gets
 * a code derived from the status), and the time until `RateLimit-Reset` as the retry hint of a
 * `rate_limit_exceeded`.
 */
export function decodeHetznerError(
  operation: string,
  status: number,
  headers: Headers,
  body: unknown,
  nowMs: number,
): CloudApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : {};
  const code = typeof error.code === "string" && error.code !== "" ? error.code : codeOfStatus(status);
  const message =
    typeof error.message === "string" && error.message !== ""
      ? error.message
      : typeof body === "string" && body.trim() !== ""
        ? body.trim().slice(0, 200)
        : `HTTP ${status}`;
  const retryAfterMs = status === 429 ? rateLimitResetWaitMs(headers, nowMs) : undefined;
  return new CloudApiError(operation, status, code, message, retryAfterMs);
}
