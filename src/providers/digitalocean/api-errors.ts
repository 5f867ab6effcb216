import { CloudApiError, isRecord } from "../../cloud/cloud-api-error.js";
import { rateLimitResetWaitMs } from "../../cloud/server-hints.js";

/** The `id` DigitalOcean gives each status, for answers whose body is not its error body. */
const ID_OF_STATUS: Readonly<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  422: "unprocessable_entity",
  429: "too_many_requests",
  500: "server_error",
};

export function idOfStatus(status: number): string {
  return ID_OF_STATUS[status] ?? (status >= 500 ? "service_unavailable" : "bad_request");
}

/**
 * A failed DigitalOcean response as the shared CloudApiError: its `{id, message, request_id}` body
 * as code and message (the request id appended, for support tickets), a body of another shape
 * (a proxy's HTML 502) getting the id of its status, and the time until `ratelimit-reset` as the
 * wait of a 429.
 */
export function decodeDigitalOceanError(
  operation: string,
  status: number,
  headers: Headers,
  body: unknown,
  nowMs: number,
): CloudApiError {
  const record = isRecord(body) ? body : {};
  const id = typeof record.id === "string" && record.id !== "" ? record.id : idOfStatus(status);
  const words =
    typeof record.message === "string" && record.message !== ""
      ? record.message
      : typeof body === "string" && body.trim() !== ""
        ? body.trim().slice(0, 200)
        : `HTTP ${status}`;
  const requestId =
    typeof record.request_id === "string" && record.request_id !== "" ? record.request_id : "";
  const message = requestId === "" ? words : `${words} (request ${requestId})`;
  const retryAfterMs = status === 429 ? rateLimitResetWaitMs(headers, nowMs) : undefined;
  return new CloudApiError(operation, status, id, message, retryAfterMs);
}
