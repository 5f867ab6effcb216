import { CloudApiError, codeOfStatus } from "../../cloud/cloud-api-error.js";
import { BallastError, type ErrorKind } from "../../shared/errors.js";
import { machineryError } from "../shared/machinery-errors.js";

/** How messages name the provider. */
export const PROVIDER_LABEL = "Hetzner Cloud";

/**
 * Hetzner's error codes as domain error kinds (src/csi/status.ts turns them into gRPC codes).
 * Choices that are not a straight rename:
 * - locked / conflict → Aborted: they reach here only after the client's own retries ran out; the
 *   resource is busy with another action, which a later retry of the whole RPC gets past.
 * - uniqueness_error → AlreadyExists: the name is taken (the adapter's create looks it up first).
 * - resource_limit_exceeded / no_space_left_in_location → ResourceExhausted: a project limit or
 *   a location without room, as the CSI spec words an out-of-capacity create.
 * - protected → FailedPrecondition: delete protection is on; an operator must lift it.
 * - rate_limit_exceeded and Hetzner's outages → Unavailable: the CO retries later.
 * - unauthorized / forbidden / token_readonly → Internal: the driver's own token, not secrets the
 *   CO sent (see the ballast table for why not UNAUTHENTICATED / PERMISSION_DENIED).
 * - action_failed → Internal: the action failed inside Hetzner, with its message.
 */
export const KIND_OF_HETZNER_CODE: Readonly<Record<string, ErrorKind>> = {
  not_found: "NotFound",
  invalid_input: "InvalidArgument",
  json_error: "InvalidArgument",
  unsupported_error: "InvalidArgument",
  invalid_argument: "InvalidArgument",
  uniqueness_error: "AlreadyExists",
  locked: "Aborted",
  conflict: "Aborted",
  resource_limit_exceeded: "ResourceExhausted",
  no_space_left_in_location: "ResourceExhausted",
  protected: "FailedPrecondition",
  rate_limit_exceeded: "Unavailable",
  rate_limited: "Unavailable",
  maintenance: "Unavailable",
  service_error: "Unavailable",
  resource_unavailable: "Unavailable",
  unavailable: "Unavailable",
  timeout: "Unavailable",
  unauthorized: "Internal",
  forbidden: "Internal",
  token_readonly: "Internal",
  server_error: "Internal",
  internal: "Internal",
  action_failed: "Internal",
};

const CREDENTIAL_CODES = new Set(["unauthorized", "forbidden", "token_readonly"]);

export function kindOfHetznerCode(code: string, status: number): ErrorKind {
  return KIND_OF_HETZNER_CODE[code] ?? KIND_OF_HETZNER_CODE[codeOfStatus(status)] ?? "Internal";
}

/**
 * The domain error for a failed Hetzner call; anything else passes unchanged. Messages say it was
 * Hetzner Cloud, then the call's own message (operation, status, code, Hetzner's words); the token
 * itself never appears.
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof CloudApiError) {
    const message = CREDENTIAL_CODES.has(error.code)
      ? `${PROVIDER_LABEL}: cloud ${error.operation}: the API rejected the driver's token (${error.status} ${error.code})`
      : `${PROVIDER_LABEL}: ${error.message}`;
    return new BallastError(kindOfHetznerCode(error.code, error.status), message);
  }
  return machineryError(error, `${PROVIDER_LABEL}: `) ?? error;
}

/** The call's result, or its failure as the domain error Hetzner's answer means. */
export async function mapped<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw toDomainError(error);
  }
}

export function isCode(error: unknown, code: string): boolean {
  return error instanceof CloudApiError && error.code === code;
}
