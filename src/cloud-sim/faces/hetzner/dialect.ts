import { type ProblemCode, ProblemError } from "../../problems.js";
import type { InstanceRecord } from "../../state.js";
import { type ApiDialect, ApiError } from "../api-front.js";

/** Hetzner's answer to each engine refusal: status and error code (its `{error: {code, message}}`). */
const STATUS_AND_CODE: Record<ProblemCode, [number, string]> = {
  not_found: [404, "not_found"],
  already_exists: [409, "uniqueness_error"],
  // The engine's conflicts are all a resource busy with another action: Hetzner's lock.
  conflict: [423, "locked"],
  invalid_argument: [400, "invalid_input"],
  out_of_range: [400, "invalid_input"],
  quota_exceeded: [403, "resource_limit_exceeded"],
  insufficient_capacity: [503, "resource_unavailable"],
  attach_limit_exceeded: [403, "resource_limit_exceeded"],
  volume_in_use: [409, "conflict"],
  zone_mismatch: [400, "invalid_input"],
  invalid_page_token: [400, "invalid_input"],
  idempotency_key_mismatch: [409, "conflict"],
  rate_limited: [429, "rate_limit_exceeded"],
  unavailable: [503, "unavailable"],
  internal: [500, "server_error"],
  unauthorized: [401, "unauthorized"],
  forbidden: [401, "unauthorized"],
  method_not_allowed: [405, "method_not_allowed"],
  local_attach_unavailable: [503, "resource_unavailable"],
  snapshot_in_group: [400, "invalid_input"],
};

/** Hetzner's data centres, for the metadata service's `availability-zone` (`fsn1-dc14`). */
const DATA_CENTRES: Record<string, string> = {
  fsn1: "dc14",
  nbg1: "dc3",
  hel1: "dc2",
  ash: "dc1",
  hil: "dc1",
  sin: "dc1",
};

export const invalidInput = (message: string, details?: unknown) =>
  new ApiError(400, "invalid_input", message, details);

export function hetznerDialect(localInstance: InstanceRecord | undefined): ApiDialect {
  return {
    basePath: "/v1",
    metadataPrefix: "/hetzner/v1/metadata",
    toApiError(error) {
      if (error instanceof ApiError) return error;
      if (!(error instanceof ProblemError)) return new ApiError(500, "server_error", "internal server error");
      if (error.detail.startsWith("body: not valid JSON"))
        return new ApiError(400, "json_error", error.detail);
      const [status, code] = STATUS_AND_CODE[error.code];
      const fields = error.extras.errors?.map((v) => ({
        name: v.pointer.replace(/^\//, ""),
        messages: [v.message],
      }));
      const message = status === 401 ? "unable to authenticate" : error.detail;
      return new ApiError(
        error.statusOverride ?? status,
        code,
        message,
        fields === undefined ? undefined : { fields },
      );
    },
    errorBody: (error) => ({
      error: { code: error.code, message: error.message, details: error.details ?? null },
    }),
    metadata(path) {
      if (localInstance === undefined) return undefined;
      const zone = localInstance.zone;
      const values: Record<string, string> = {
        "/hetzner/v1/metadata/instance-id": localInstance.id,
        "/hetzner/v1/metadata/hostname": localInstance.name,
        "/hetzner/v1/metadata/availability-zone": `${zone}-${DATA_CENTRES[zone] ?? "dc1"}`,
      };
      return values[path];
    },
  };
}
