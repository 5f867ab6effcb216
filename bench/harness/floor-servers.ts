import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import { Child } from "./child-process.js";
import { freePort } from "./free-port.js";

/** One server of the floor comparison: its process and a client of its socket. */
export interface FloorServer {
  readonly label: string;
  readonly pid: number;
  readonly nodeFlags: string[];
  readonly socketPath: string;
  readonly csi: CsiClient;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

async function waitServing(csi: CsiClient, child: Child, label: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(
        `${label} exited (${child.process.exitCode ?? child.process.signalCode}):\n${child.output()}`,
      );
    }
    try {
      await csi.node.nodeGetCapabilities({}, { timeoutMs: 1_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${label} not serving after ${READY_TIMEOUT_MS} ms: ${(error as Error).message}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function serve(
  label: string,
  dir: string,
  nodeFlags: string[],
  args: string[],
  cwd: string,
): Promise<FloorServer> {
  await mkdir(dir, { recursive: true });
  const child = new Child({
    command: process.execPath,
    args: [...nodeFlags, ...args],
    cwd,
    logFile: join(dir, "server.log"),
    label,
  });
  const csi = createCsiClient(`unix://${join(dir, "csi.sock")}`);
  try {
    await waitServing(csi, child, label);
  } catch (error) {
    csi.close();
    await child.stop();
    throw error;
  }
  return {
    label,
    pid: child.pid,
    nodeFlags,
    socketPath: join(dir, "csi.sock"),
    csi,
    async stop() {
      csi.close();
      await child.stop();
    },
  };
}

/**
 * `bin/ballast node` of the build in `repoRoot` (this tree, or another checkout for a before and
 * after in one run), as the chart starts it: identity from flags, so it never asks a cloud, and
 * /metrics served (never scraped here: a scrape is not an RPC's cost).
 */
export async function startBallastNode(options: {
  label: string;
  dir: string;
  repoRoot: string;
  harnessRoot: string;
  logLevel: string;
  /** Node and V8 flags the image starts it with (`NODE_OPTIONS` in the Dockerfile). */
  nodeFlags: string[];
}): Promise<FloorServer> {
  await mkdir(join(options.dir, "by-id"), { recursive: true });
  const args = [
    "--import",
    pathToFileURL(join(options.harnessRoot, "bench/harness/exit-with-harness.mjs")).href,
    join(options.repoRoot, "bin/ballast"),
    "node",
    "--endpoint",
    `unix://${join(options.dir, "csi.sock")}`,
    "--node-id",
    "i-floor",
    "--zone",
    "ref-1a",
    "--max-volumes-per-node",
    "16",
    "--by-id-dir",
    join(options.dir, "by-id"),
    "--state-dir",
    join(options.dir, "state"),
    "--log-level",
    options.logLevel,
    "--metrics-address",
    `127.0.0.1:${await freePort()}`,
  ];
  return serve(options.label, options.dir, options.nodeFlags, args, options.repoRoot);
}

/** The bare grpc-js server of `bench/harness/bare-node-server.mjs`, on the codec of `repoRoot`. */
export async function startBareServer(options: {
  label: string;
  dir: string;
  repoRoot: string;
  nodeFlags: string[];
}): Promise<FloorServer> {
  const script = join(options.repoRoot, "bench/harness/bare-node-server.mjs");
  const args = [
    "--import",
    pathToFileURL(join(options.repoRoot, "bench/harness/exit-with-harness.mjs")).href,
    script,
    options.repoRoot,
    join(options.dir, "csi.sock"),
  ];
  return serve(options.label, options.dir, options.nodeFlags, args, options.repoRoot);
}
