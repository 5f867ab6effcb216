import { execFile } from "node:child_process";

/**
 * Runs a program with an argument array (never through a shell) and returns its stdout. Named apart
 * from the node's `Exec` (src/node/exec.ts), which has another shape and its own error type.
 */
export type RunProgram = (
  program: string,
  args: string[],
  options?: { timeoutMs?: number; signal?: AbortSignal },
) => Promise<string>;

const DEFAULT_TIMEOUT_MS = 120_000;

export const runProgram: RunProgram = (program, args, options) =>
  new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        timeout: options?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        ...(options?.signal === undefined ? {} : { signal: options.signal }),
      },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.trim() || error.message;
          reject(new Error(`${program} ${args.join(" ")}: ${detail}`, { cause: error }));
          return;
        }
        resolve(stdout);
      },
    );
  });
