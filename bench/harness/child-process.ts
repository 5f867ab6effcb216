import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";

export interface ChildOptions {
  command: string;
  args: string[];
  cwd: string;
  /** Every stdout and stderr line is appended here (driver logs, for reading after a run). */
  logFile: string;
  /** What the harness calls the process in error messages. */
  label: string;
}

/** A child process whose output lines can be awaited, and that is stopped with SIGTERM. */
export class Child {
  readonly process: ChildProcess;
  private readonly log: WriteStream;
  private readonly tail: string[] = [];
  private readonly watchers = new Set<(line: string) => void>();
  private readonly exited: Promise<number | null>;

  constructor(private readonly options: ChildOptions) {
    this.log = createWriteStream(options.logFile, { flags: "a" });
    this.process = spawn(options.command, options.args, {
      cwd: options.cwd,
      // stdin stays open for the child's lifetime: a child that watches it sees the harness die.
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.process.once("exit", (code) => resolve(code)));
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on("line", (line) => this.onLine(line));
    }
  }

  get pid(): number {
    const pid = this.process.pid;
    if (pid === undefined) throw new Error(`${this.options.label} has no pid (it did not start)`);
    return pid;
  }

  private onLine(line: string): void {
    this.log.write(`${line}\n`);
    this.tail.push(line);
    if (this.tail.length > 20) this.tail.shift();
    for (const watcher of this.watchers) watcher(line);
  }

  /** Resolves with the first output line `match` accepts (returns non-undefined for). */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
        this.process.off("exit", onExit);
        outcome();
      };
      const watcher = (line: string) => {
        const value = match(line);
        if (value !== undefined) finish(() => resolve(value));
      };
      const onExit = (code: number | null) =>
        finish(() =>
          reject(new Error(`${this.options.label} exited (${code}) before it was ready:\n${this.output()}`)),
        );
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`${this.options.label} not ready after ${timeoutMs} ms:\n${this.output()}`)),
          ),
        timeoutMs,
      );
      this.watchers.add(watcher);
      this.process.once("exit", onExit);
    });
  }

  /** The last lines the process printed, for error messages. */
  output(): string {
    return this.tail.join("\n");
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Safe to call twice. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill("SIGTERM");
      const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
