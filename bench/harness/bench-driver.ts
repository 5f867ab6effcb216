import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import type { ProviderName } from "../../src/providers/provider.js";
import { BENCH_ZONE } from "./bench-cloud.js";
import { Child } from "./child-process.js";
import { freePort } from "./free-port.js";
import { imageNodeFlags } from "./image-flags.js";

export interface BenchDriverOptions {
  /** Holds the socket, the token file and the driver's log. */
  dir: string;
  /** The harness's checkout (the exit hook comes from it). */
  repoRoot: string;
  /** The built checkout whose `bin/ballast` runs, with its Dockerfile's node flags. */
  driverRoot: string;
  cloudUrl: string;
  /**
   * `--cloud-provider` and `--zone`; ballast's in zone ref-1a unless set. For ballast the flag is
   * left out (it is the default), so builds from before the providers existed run too.
   */
  provider?: ProviderName;
  zone?: string;
  token: string;
  qps: number;
  burst: number;
  nodeId: string;
  byIdDir: string;
  maxVolumesPerNode: number;
  /** The production default is info: one log line per RPC, which is part of what is measured. */
  logLevel?: string;
  /** Where the driver writes a V8 CPU profile when it exits (`--cpu-prof-dir`); none unless set. */
  cpuProfileDir?: string;
}

/**
 * `./bin/ballast all` in its own process, with the image's node flags, reached over its unix
 * socket as kubelet and the sidecars do.
 */
export interface BenchDriver {
  readonly pid: number;
  readonly endpoint: string;
  /** Base URL of /metrics (process and heap figures). */
  readonly metricsUrl: string;
  readonly csi: CsiClient;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Resolves once GetPluginInfo answers on the socket (the socket appears only when the server
 * listens, so early calls fail UNAVAILABLE and are repeated); rejects if the driver exits first.
 */
async function waitServing(csi: CsiClient, child: Child): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(
        `ballast all exited (${child.process.exitCode ?? child.process.signalCode}):\n${child.output()}`,
      );
    }
    try {
      await csi.identity.getPluginInfo({}, { timeoutMs: 1_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `ballast all not serving after ${READY_TIMEOUT_MS} ms: ${(error as Error).message}\n${child.output()}`,
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startBenchDriver(options: BenchDriverOptions): Promise<BenchDriver> {
  const tokenFile = join(options.dir, "cloud-token");
  await writeFile(tokenFile, options.token, { mode: 0o600 });
  const endpoint = `unix://${join(options.dir, "csi.sock")}`;
  const metricsPort = await freePort();
  const child = new Child({
    command: process.execPath,
    args: [
      // The runtime flags the image starts the driver with.
      ...(await imageNodeFlags(options.driverRoot)),
      ...(options.cpuProfileDir === undefined
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`]),
      "--import",
      pathToFileURL(join(options.repoRoot, "bench/harness/exit-with-harness.mjs")).href,
      join(options.driverRoot, "bin/ballast"),
      "all",
      "--endpoint",
      endpoint,
      ...(options.provider === undefined ? [] : ["--cloud-provider", options.provider]),
      "--cloud-url",
      options.cloudUrl,
      "--cloud-token-file",
      tokenFile,
      "--cloud-qps",
      String(options.qps),
      "--cloud-burst",
      String(options.burst),
      "--zone",
      options.zone ?? BENCH_ZONE,
      "--node-id",
      options.nodeId,
      "--max-volumes-per-node",
      String(options.maxVolumesPerNode),
      "--by-id-dir",
      options.byIdDir,
      "--log-level",
      options.logLevel ?? "info",
      "--metrics-address",
      `127.0.0.1:${metricsPort}`,
      "--drain-timeout",
      "5",
    ],
    cwd: options.driverRoot,
    logFile: join(options.dir, "driver.log"),
    label: "ballast all",
  });
  let csi: CsiClient | undefined;
  try {
    csi = createCsiClient(endpoint);
    await waitServing(csi, child);
    const client = csi;
    const metricsUrl = `http://127.0.0.1:${metricsPort}`;
    return {
      pid: child.pid,
      endpoint,
      metricsUrl,
      csi: client,
      async stop() {
        client.close();
        await child.stop();
      },
    };
  } catch (error) {
    csi?.close();
    await child.stop();
    throw error;
  }
}
