import { CloudDeadlineError, CloudGaveUpError, CloudTransportError } from "../../cloud/call-errors.js";
import type { RequestOptions } from "../../cloud/call-runner.js";
import type { OperationOptions } from "../../controller/block-storage.js";
import { aborted } from "../../shared/errors.js";
import { isNotFound, PROVIDER_LABEL } from "./error-mapping.js";

/** Bound for calls made without a gRPC deadline (the CSI sidecars always set one). */
const DEFAULT_CALL_BUDGET_MS = 120_000;

/** The client's options for a port call: its deadline (or the default budget) and its signal. */
export function requestOptions({ deadline, signal }: OperationOptions, now: () => number): RequestOptions {
  return { deadline: deadline ?? now() + DEFAULT_CALL_BUDGET_MS, signal };
}

/** undefined for a 404, the value otherwise. */
export async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** A create whose answer was lost may have made the resource: look before giving up. */
export function answerLost(error: unknown): boolean {
  return (
    error instanceof CloudTransportError ||
    error instanceof CloudGaveUpError ||
    (error instanceof CloudDeadlineError && error.detail === "request still in flight at the deadline")
  );
}

/** DigitalOcean answers at most 200 items per page. */
export const MAX_PER_PAGE = 200;

/**
 * A page token as the positive number it holds (DigitalOcean's page number, or a position in a
 * walked list); 1 when there is none. Another token is the CSI "invalid starting_token" (Aborted).
 */
export function pageNumberOf(token: string | undefined): number {
  if (token === undefined || token === "") return 1;
  if (!/^[1-9][0-9]{0,8}$/.test(token)) {
    throw aborted(`starting_token: ${JSON.stringify(token)} is not a ${PROVIDER_LABEL} page token`);
  }
  return Number(token);
}
