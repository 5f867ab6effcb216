import { execFile } from "node:child_process";
import type { Logger } from "../observability/logger.js";

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Exit codes that report an outcome rather than a failure (blkid's 2 = nothing found). */
  expectedExitCodes?: readonly number[];
}

/**
 * The one way the node domain runs a program: an argument array, never a shell, always with a
 * timeout. Tests substitute a recording implementation to prove nothing ran.
 */
export interface Exec {
  run(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/** A program that exited non-zero, was killed, or timed out; carries its stderr for the caller. */
export class ExecError extends Error {
  override readonly name = "ExecError";

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    const outcome = timedOut
      ? "timed out"
      : exitCode !== null
        ? `exited with code ${exitCode}`
        : `was killed by ${signal ?? "a signal"}`;
    const detail = stderr.trim() || stdout.trim();
    super(`${command} ${args.join(" ")} ${outcome}${detail ? `: ${detail}` : ""}`);
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export function createExec(logger: Logger, defaultTimeoutMs = DEFAULT_TIMEOUT_MS): Exec {
  return {
    run(command, args, options = {}) {
      const timeout = options.timeoutMs ?? defaultTimeoutMs;
      const started = Date.now();
      return new Promise((resolve, reject) => {
        execFile(
          command,
          [...args],
          { timeout, maxBuffer: MAX_OUTPUT_BYTES, encoding: "utf8", killSignal: "SIGKILL" },
          (error, stdout, stderr) => {
            const durationMs = Date.now() - started;
            if (!error) {
              logger.debug({ command, args, durationMs }, "command succeeded");
              resolve({ stdout, stderr });
              return;
            }
            const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
            const exitCode = typeof failure.code === "number" ? failure.code : null;
            const timedOut = failure.killed === true && exitCode === null;
            const signal = (failure as { signal?: string | null }).signal ?? null;
            const execError =
              typeof failure.code === "string"
                ? new ExecError(command, args, null, null, stdout, failure.message, false)
                : new ExecError(command, args, exitCode, signal, stdout, stderr, timedOut);
            const expected = exitCode !== null && (options.expectedExitCodes ?? []).includes(exitCode);
            logger[expected ? "debug" : "warn"](
              { command, args, durationMs, exitCode, signal, timedOut, stderr: execError.stderr.trim() },
              "command failed",
            );
            reject(execError);
          },
        );
      });
    },
  };
}
