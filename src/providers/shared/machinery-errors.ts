import {
  CloudCancelledError,
  CloudDeadlineError,
  CloudGaveUpError,
  CloudTransportError,
} from "../../cloud/call-errors.js";
import { BallastError } from "../../shared/errors.js";

/**
 * The domain error for a failure of the shared client machinery itself, the same for every
 * provider; undefined for anything else (a cloud's answer is its provider's own mapping):
 * - the call's deadline: DeadlineExceeded;
 * - no answer, retries given up on a transient failure, or a cancelled call: Unavailable (the CO
 *   retries; nobody reads a cancelled one).
 * `label` names the provider in the message, e.g. "DigitalOcean: ".
 */
export function machineryError(error: unknown, label = ""): BallastError | undefined {
  if (error instanceof CloudDeadlineError)
    return new BallastError("DeadlineExceeded", `${label}${error.message}`);
  if (
    error instanceof CloudGaveUpError ||
    error instanceof CloudTransportError ||
    error instanceof CloudCancelledError
  ) {
    return new BallastError("Unavailable", `${label}${error.message}`);
  }
  return undefined;
}
