import { execFile } from "node:child_process";

/** Runs a program with an argument array (never through a shell) and returns its stdout. */
export type Exec = (program: string, args: string[], options?: { timeoutMs?: number }) => Promise<string>;

const DEFAULT_TIMEOUT_MS = 120_000;

export const execFileExec: Exec = (program, args, options) =>
  new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { timeout: options?.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
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
