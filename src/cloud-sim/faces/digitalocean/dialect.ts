import { type ProblemCode, ProblemError } from "../../problems.js";
import type { InstanceRecord } from "../../state.js";
import { type ApiDialect, ApiError } from "../api-front.js";

/** DigitalOcean's answer to each engine refusal: status and error id (its `{id, message}` body). */
const STATUS_AND_ID: Record<ProblemCode, [number, string]> = {
  not_found: [404, "not_found"],
  already_exists: [409, "conflict"],
  conflict: [422, "unprocessable_entity"],
  invalid_argument: [422, "unprocessable_entity"],
  out_of_range: [422, "unprocessable_entity"],
  quota_exceeded: [422, "unprocessable_entity"],
  insufficient_capacity: [422, "unprocessable_entity"],
  attach_limit_exceeded: [422, "unprocessable_entity"],
  volume_in_use: [409, "conflict"],
  zone_mismatch: [422, "unprocessable_entity"],
  invalid_page_token: [400, "bad_request"],
  idempotency_key_mismatch: [422, "unprocessable_entity"],
  rate_limited: [429, "too_many_requests"],
  unavailable: [503, "service_unavailable"],
  internal: [500, "server_error"],
  // DigitalOcean answers a missing and a wrong token alike.
  unauthorized: [401, "unauthorized"],
  forbidden: [401, "unauthorized"],
  method_not_allowed: [405, "method_not_allowed"],
  local_attach_unavailable: [422, "unprocessable_entity"],
  snapshot_in_group: [422, "unprocessable_entity"],
};

export const unprocessable = (message: string) => new ApiError(422, "unprocessable_entity", message);
export const badRequest = (message: string) => new ApiError(400, "bad_request", message);

export function digitalOceanDialect(localInstance: InstanceRecord | undefined): ApiDialect {
  return {
    basePath: "",
    metadataPrefix: "/metadata/",
    toApiError(error) {
      if (error instanceof ApiError) return error;
      if (error instanceof ProblemError) {
        const [status, id] = STATUS_AND_ID[error.code];
        // A request the description rejects is a 400, as DigitalOcean answers malformed input.
        if (error.code === "invalid_argument" && error.extras.errors !== undefined) {
          return badRequest(error.detail);
        }
        const unauthorized = status === 401 ? "Unable to authenticate you" : error.detail;
        return new ApiError(error.statusOverride ?? status, id, unauthorized);
      }
      return new ApiError(500, "server_error", "Server was unable to give you a response.");
    },
    errorBody: (error, requestId) => ({ id: error.code, message: error.message, request_id: requestId }),
    metadata(path) {
      if (localInstance === undefined) return undefined;
      const values: Record<string, string> = {
        "/metadata/v1/id": localInstance.id,
        "/metadata/v1/region": localInstance.zone,
        "/metadata/v1/hostname": localInstance.name,
      };
      return values[path];
    },
  };
}
