import { CloudApiError } from "../../cloud/cloud-api-error.js";
import { BallastError, type ErrorKind } from "../../shared/errors.js";
import { machineryError } from "../shared/machinery-errors.js";
import { idOfStatus } from "./api-errors.js";

/** How messages name the provider. */
export const PROVIDER_LABEL = "DigitalOcean";

/**
 * DigitalOcean's error ids as domain error kinds (src/csi/status.ts turns them into gRPC codes).
 * The id only names the HTTP status, so where one status means several things the message decides
 * (see `kindOfRefusal`). Choices that are not a straight rename:
 * - unprocessable_entity (422) → FailedPrecondition: the adapter checks the input before sending,
 *   so what is left is a request the volume or droplet cannot take in its current state.
 * - conflict (409) → AlreadyExists: a name taken (the adapter's creates look it up first).
 * - too_many_requests and DigitalOcean's outages → Unavailable: the CO retries later.
 * - unauthorized / forbidden → Internal: the driver's own token, not secrets the CO sent.
 * - action_errored → Internal: DigitalOcean says no more than that the action failed.
 */
export const KIND_OF_DIGITALOCEAN_ID: Readonly<Record<string, ErrorKind>> = {
  not_found: "NotFound",
  bad_request: "InvalidArgument",
  unprocessable_entity: "FailedPrecondition",
  conflict: "AlreadyExists",
  too_many_requests: "Unavailable",
  server_error: "Unavailable",
  service_unavailable: "Unavailable",
  unauthorized: "Internal",
  forbidden: "Internal",
  action_errored: "Internal",
};

/**
 * The 422 messages of DigitalOcean's block storage that mean something more exact, as its own
 * CSI driver reads them: another action on the droplet is still running (the same request will
 * pass later), and the droplet's attach limit.
 */
const PENDING_EVENT = /pending event/i;
const ATTACH_LIMIT = /cannot attach more/i;
/** "Already attached" and "attachment not found": the adapter checks the volume's state instead. */
export const ALREADY_ATTACHED = /already attached/i;
export const NOT_ATTACHED = /attachment not found|not attached/i;

const CREDENTIAL_IDS = new Set(["unauthorized", "forbidden"]);

function kindOfRefusal(error: CloudApiError): ErrorKind | undefined {
  if (error.status !== 422) return undefined;
  if (PENDING_EVENT.test(error.detail)) return "Aborted";
  if (ATTACH_LIMIT.test(error.detail)) return "ResourceExhausted";
  return undefined;
}

export function kindOfDigitalOceanError(error: CloudApiError): ErrorKind {
  return (
    kindOfRefusal(error) ??
    KIND_OF_DIGITALOCEAN_ID[error.code] ??
    KIND_OF_DIGITALOCEAN_ID[idOfStatus(error.status)] ??
    "Internal"
  );
}

/**
 * The domain error for a failed DigitalOcean call; anything else passes unchanged. Messages say it
 * was DigitalOcean, then the call's own message (operation, status, id, DigitalOcean's words and
 * request id); the token itself never appears.
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof CloudApiError) {
    const message = CREDENTIAL_IDS.has(error.code)
      ? `${PROVIDER_LABEL}: cloud ${error.operation}: the API rejected the driver's token (${error.status} ${error.code})`
      : `${PROVIDER_LABEL}: ${error.message}`;
    return new BallastError(kindOfDigitalOceanError(error), message);
  }
  return machineryError(error, `${PROVIDER_LABEL}: `) ?? error;
}

/** The call's result, or its failure as the domain error DigitalOcean's answer means. */
export async function mapped<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw toDomainError(error);
  }
}

/** Whether the call was answered with one of these statuses. */
export function isStatus(error: unknown, ...statuses: number[]): error is CloudApiError {
  return error instanceof CloudApiError && statuses.includes(error.status);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof CloudApiError && (error.status === 404 || error.code === "not_found");
}
