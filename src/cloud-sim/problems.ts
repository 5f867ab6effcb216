import type { components } from "../generated/block-storage.v1.js";

export type Problem = components["schemas"]["Problem"];
export type ProblemCode = components["schemas"]["ProblemCode"];

const STATUS_AND_TITLE: Record<ProblemCode, [number, string]> = {
  not_found: [404, "Not found"],
  already_exists: [409, "Already exists"],
  conflict: [409, "Conflict"],
  invalid_argument: [400, "Invalid argument"],
  out_of_range: [400, "Value out of range"],
  quota_exceeded: [422, "Quota exceeded"],
  insufficient_capacity: [422, "Insufficient capacity"],
  attach_limit_exceeded: [409, "Attach limit exceeded"],
  volume_in_use: [409, "Volume in use"],
  zone_mismatch: [422, "Zone mismatch"],
  invalid_page_token: [400, "Invalid page token"],
  idempotency_key_mismatch: [422, "Idempotency key mismatch"],
  rate_limited: [429, "Too many requests"],
  unavailable: [503, "Service unavailable"],
  internal: [500, "Internal error"],
  unauthorized: [401, "Unauthorized"],
  forbidden: [403, "Forbidden"],
  method_not_allowed: [405, "Method not allowed"],
  local_attach_unavailable: [422, "Local attach unavailable"],
  snapshot_in_group: [409, "Snapshot in group"],
};

export function problemStatus(code: ProblemCode): number {
  return STATUS_AND_TITLE[code][0];
}

export type ProblemExtras = Partial<
  Pick<Problem, "retryAfterSeconds" | "resourceId" | "instanceIds" | "errors">
>;

/** A request failure that the HTTP layer turns into an RFC 9457 problem answer. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
    /** Overrides the code's usual status, e.g. a 502 injected as a fault. */
    readonly statusOverride?: number,
  ) {
    super(`${code}: ${detail}`);
  }

  get status(): number {
    return this.statusOverride ?? problemStatus(this.code);
  }

  toProblem(instance?: string): Problem {
    const [, title] = STATUS_AND_TITLE[this.code];
    return {
      type: `https://ballast.dev/problems/${this.code}`,
      title,
      status: this.status,
      code: this.code,
      detail: this.detail,
      ...(instance === undefined ? {} : { instance }),
      ...this.extras,
    };
  }
}

export const problem = (code: ProblemCode, detail: string, extras?: ProblemExtras) =>
  new ProblemError(code, detail, extras);
