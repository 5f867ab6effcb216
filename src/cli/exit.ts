import { BallastError } from "../shared/errors.js";

/** Exit code for bad or missing configuration and anything else that stops a start. */
export const EXIT_CONFIG = 2;

/** The one line printed when the process cannot start. */
export function startupFailureLine(error: unknown): string {
  const message = error instanceof BallastError || error instanceof Error ? error.message : String(error);
  return `ballast: ${message.split("\n")[0]}`;
}
