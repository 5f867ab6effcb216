import { BallastError } from "../shared/errors.js";

/** Exit code for bad or missing configuration and anything else that stops a start. */
export const EXIT_CONFIG = 2;

/** The one line printed when the process cannot start. */
export function startupFailureLine(error: unknown): string {
  const message = error instanceof BallastError || error instanceof Error ? error.message : String(error);
  return `ballast: ${message.split("\n")[0]}`;
}

/**
 * On the first SIGTERM or SIGINT runs `stop`, then exits 0; a stop that fails prints one line and
 * exits 1.
 */
export function stopOnSignal(stop: () => Promise<void>): void {
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${startupFailureLine(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
