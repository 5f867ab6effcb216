import { CloudApiError, codeOfStatus } from "../../cloud/cloud-api-error.js";
import { BallastError, type ErrorKind } from "../../shared/errors.js";
import { machineryError } from "../shared/machinery-errors.js";

/**
 * The ballast API's problem codes as domain error kinds (which src/csi/status.ts turns into gRPC
 * codes). This is the ballast provider's table; another provider's adapter brings its own.
 * Choices that are not a straight rename:
 * - conflict → Aborted: the contract uses it for a resource in a transitional state or a
 *   concurrent change (e.g. detach while attaching). That resolves by retrying the whole RPC
 *   later, which is what ABORTED tells the CO; FAILED_PRECONDITION would tell it to wait for an
 *   operator.
 * - idempotency_key_mismatch → AlreadyExists: callers derive the key from the CO's name, so a
 *   mismatch means "this name already exists with a different spec", CSI's ALREADY_EXISTS.
 * - invalid_page_token → Aborted: the CSI spec's answer for an invalid starting_token.
 * - unauthorized / forbidden → Internal: these are the driver's own cloud credentials, not
 *   secrets the CO sent. UNAUTHENTICATED / PERMISSION_DENIED would tell the CO to fix secrets it
 *   never passed; the message says the credentials were rejected (never what they are).
 * - local_attach_unavailable → FailedPrecondition: the reference cloud cannot attach to this
 *   machine (no loop devices); retrying does not help until the machine changes.
 * - zone_mismatch → FailedPrecondition: the volume is not accessible from that instance's zone;
 *   the request is well-formed, the state of the world forbids it.
 * - snapshot_in_group → InvalidArgument: the CSI spec's answer for DeleteSnapshot of a snapshot
 *   that is part of a group snapshot (the caller deletes the group instead).
 * - method_not_allowed → Internal: only a client bug sends one.
 */
export const KIND_OF_PROBLEM_CODE: Readonly<Record<string, ErrorKind>> = {
  not_found: "NotFound",
  already_exists: "AlreadyExists",
  idempotency_key_mismatch: "AlreadyExists",
  conflict: "Aborted",
  invalid_argument: "InvalidArgument",
  out_of_range: "OutOfRange",
  quota_exceeded: "ResourceExhausted",
  insufficient_capacity: "ResourceExhausted",
  attach_limit_exceeded: "ResourceExhausted",
  volume_in_use: "FailedPrecondition",
  snapshot_in_group: "InvalidArgument",
  local_attach_unavailable: "FailedPrecondition",
  zone_mismatch: "FailedPrecondition",
  invalid_page_token: "Aborted",
  rate_limited: "Unavailable",
  unavailable: "Unavailable",
  unauthorized: "Internal",
  forbidden: "Internal",
  internal: "Internal",
  method_not_allowed: "Internal",
};

export function kindOfProblem(code: string, status: number): ErrorKind {
  return KIND_OF_PROBLEM_CODE[code] ?? KIND_OF_PROBLEM_CODE[codeOfStatus(status)] ?? "Internal";
}

/**
 * The domain error for a failed cloud call; anything else passes unchanged. The message is the
 * cloud error's own, which already says everything; the cloud error is not chained as `cause`, so
 * a logged error names its cause once.
 * - no response, or retries given up on a transient failure: Unavailable (the CO retries);
 * - the call's deadline: DeadlineExceeded; a cancelled call: Unavailable (nobody reads it).
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof CloudApiError) {
    const credentials = error.code === "unauthorized" || error.code === "forbidden";
    const message = credentials
      ? `cloud ${error.operation}: the block-storage API rejected the driver's credentials (${error.status} ${error.code})`
      : error.message;
    return new BallastError(kindOfProblem(error.code, error.status), message);
  }
  return machineryError(error) ?? error;
}
