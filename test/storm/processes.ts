import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { BALLAST_BIN } from "../../src/demo/dev-process.js";

/** A `ballast` child process whose output is kept for the report when something goes wrong. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly output: string[];
}

const KEPT_LINES = 200;

export function spawnBallast(name: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, [BALLAST_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (output.length > KEPT_LINES) output.splice(0, output.length - KEPT_LINES);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { name, process: child, output };
}

export function isRunning(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

/** Sends `signal` and resolves once the process is gone (SIGKILL after `graceMs` for SIGTERM). */
export async function stopChild(
  child: Child,
  signal: "SIGTERM" | "SIGKILL",
  graceMs = 20_000,
): Promise<void> {
  if (!isRunning(child)) return;
  const gone = new Promise<void>((resolve) => child.process.once("exit", () => resolve()));
  child.process.kill(signal);
  const timer = signal === "SIGTERM" ? setTimeout(() => child.process.kill("SIGKILL"), graceMs) : undefined;
  await gone;
  if (timer) clearTimeout(timer);
}

/**
 * Polls `ready` until it resolves; fails with the child's last lines when the child dies first
 * or the budget runs out.
 */
export async function waitReady(
  child: Child,
  ready: () => Promise<unknown>,
  budgetMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isRunning(child)) {
      throw new Error(`${child.name} exited before it was ready:\n${child.output.slice(-20).join("\n")}`);
    }
    try {
      await ready();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(
    `${child.name} not ready after ${budgetMs} ms (${String(lastError)}):\n${child.output.slice(-20).join("\n")}`,
  );
}

/** An ephemeral port on 127.0.0.1 for a server that cannot report the port it picked. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
