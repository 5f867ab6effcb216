import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** `bin/ballast` of this checkout: two levels up from both src/demo and dist/demo. */
export const BALLAST_BIN = fileURLToPath(new URL("../../bin/ballast", import.meta.url));

export interface DevProcessOptions {
  /** The `ballast` mode and its flags, e.g. ["dev", "--state-dir", dir]. */
  args: readonly string[];
  /** How long to wait for the `ready` line. */
  readyTimeoutMs?: number;
  /** Every line the process prints (stdout and stderr), for logs and diagnostics. */
  onLine?: (line: string) => void;
}

/** What a started `ballast` process told us about itself. */
export interface ProcessAnnouncement {
  /** The CSI endpoint, `unix:///…` or `tcp://…`, when the process serves one. */
  endpoint?: string | undefined;
  cloudUrl?: string | undefined;
  cloudToken?: string | undefined;
  metricsUrl?: string | undefined;
}

export interface BallastProcess extends ProcessAnnouncement {
  readonly child: ChildProcess;
  readonly output: readonly string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crashed node or an evicted pod would die; resolves when it is gone. */
  kill(): Promise<void>;
}

const URL_PATTERN = /(https?:\/\/[^\s"',]+)/;
const ENDPOINT_PATTERN = /((?:unix|tcp):\/\/[^\s"',]+)/;

const SOCKET_LINE = /^socket:\s*(\/\S+)\s*$/;
const TOKEN_LINE = /^cloud token:\s*(\S+)\s*$/;

/**
 * Reads the lines `ballast dev` prints on stdout before `ready` (`socket: /path`, `cloud: URL`,
 * `cloud token: T`, `metrics: URL`); the last mention wins.
 */
export function readAnnouncement(lines: readonly string[]): ProcessAnnouncement {
  const announcement: ProcessAnnouncement = {};
  for (const line of lines) {
    const socket = SOCKET_LINE.exec(line)?.[1];
    if (socket !== undefined) announcement.endpoint = `unix://${socket}`;
    const endpoint = ENDPOINT_PATTERN.exec(line)?.[1];
    if (endpoint !== undefined) announcement.endpoint = endpoint;
    const token = TOKEN_LINE.exec(line)?.[1];
    if (token !== undefined) announcement.cloudToken = token;
    const url = URL_PATTERN.exec(line)?.[1];
    if (url === undefined) continue;
    if (/^metrics:/i.test(line)) announcement.metricsUrl = url;
    else if (/^cloud:/i.test(line)) announcement.cloudUrl = url;
  }
  return announcement;
}

function isReadyLine(line: string): boolean {
  return /^\s*ready\s*$/i.test(line) || /"msg":"ready"/.test(line);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Starts `bin/ballast <args>` as a child process and resolves once it prints `ready` (or a
 * listening line for the reference cloud, which has no `ready`). Rejects with the process's own
 * last lines when it exits first or does not get ready in time, so the cause is on screen.
 */
export async function startBallastProcess(
  options: DevProcessOptions & { readyWhen?: (line: string) => boolean },
): Promise<BallastProcess> {
  const child = spawn(process.execPath, [BALLAST_BIN, ...options.args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const readyWhen = options.readyWhen ?? isReadyLine;
  const timeoutMs = options.readyTimeoutMs ?? 60_000;

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`ballast ${options.args[0]} did not get ready in ${timeoutMs} ms:\n${tail(output)}`));
    }, timeoutMs);
    const onChunk = (stream: NodeJS.ReadableStream) => {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          output.push(line);
          options.onLine?.(line);
          if (readyWhen(line)) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    };
    if (child.stdout) onChunk(child.stdout);
    if (child.stderr) onChunk(child.stderr);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `ballast ${options.args[0]} exited (${signal ?? `code ${code}`}) before ready:\n${tail(output)}`,
        ),
      );
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

  const stop = async (graceMs = 20_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = exited(child);
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = exited(child);
    child.kill("SIGKILL");
    await gone;
  };

  try {
    await ready;
  } catch (error) {
    await kill();
    throw error;
  }
  return { child, output, stop, kill, ...readAnnouncement(output) };
}

function tail(lines: readonly string[], count = 20): string {
  return lines.slice(-count).join("\n");
}
