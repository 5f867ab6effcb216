import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import { type BallastProcess, startBallastProcess } from "../../src/demo/dev-process.js";
import { describeResidue, findHostResidue, isClean, removeHostResidue } from "../../src/demo/host-residue.js";
import { CloudApi } from "./cloud-api.js";
import { devSystemArgs, devSystemLayout } from "./dev-layout.js";

/** A running `ballast dev` (reference cloud + `all` driver) in its own temp state dir. */
export interface DevSystem {
  readonly csi: CsiClient;
  readonly cloud: CloudApi;
  readonly endpoint: string;
  readonly stateDir: string;
  /** Where tests put staging and target paths, as kubelet does under /var/lib/kubelet. */
  readonly kubeletDir: string;
  readonly process: BallastProcess;
  /** Stops the driver and the cloud, then removes every mount, loop device and link it left. */
  stop(): Promise<void>;
}

/**
 * Starts `./bin/ballast dev` with a temp state dir and socket, waits for `ready`, and connects
 * a CSI client to the socket exactly as the sidecars would. `stop()` is safe to call twice.
 */
export async function startDevSystem(): Promise<DevSystem> {
  const stateDir = await mkdtemp(join(tmpdir(), "ballast-conformance-"));
  const layout = devSystemLayout(stateDir);
  const kubeletDir = join(stateDir, "kubelet");
  await mkdir(kubeletDir, { recursive: true });
  let process: BallastProcess;
  try {
    process = await startBallastProcess({ args: devSystemArgs(layout), readyTimeoutMs: 60_000 });
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
  const endpoint = process.endpoint ?? `unix://${layout.socketPath}`;
  const cloudUrl = process.cloudUrl;
  if (cloudUrl === undefined) {
    await process.stop();
    throw new Error(`ballast dev did not print the cloud API URL:\n${process.output.join("\n")}`);
  }
  const token = process.cloudToken;
  if (token === undefined) {
    await process.stop();
    throw new Error(`ballast dev did not print the cloud token:\n${process.output.join("\n")}`);
  }
  const csi = createCsiClient(endpoint);
  let stopped = false;
  return {
    csi,
    cloud: new CloudApi(cloudUrl, token),
    endpoint,
    stateDir,
    kubeletDir,
    process,
    async stop() {
      if (stopped) return;
      stopped = true;
      csi.close();
      await process.stop();
      const scope = { mountRoot: stateDir, backingFileRoot: stateDir, byIdDir: layout.byIdDir };
      const residue = await findHostResidue(scope);
      if (!isClean(residue)) {
        await removeHostResidue(residue);
      }
      await rm(stateDir, { recursive: true, force: true });
      if (!isClean(residue)) throw new Error(`ballast dev left behind: ${describeResidue(residue)}`);
    },
  };
}

/**
 * One dev system for a whole test file (started in `before`, stopped in `after`); tests call
 * the returned function to reach it.
 */
export function useDevSystem(): () => DevSystem {
  let system: DevSystem | undefined;
  before(async () => {
    system = await startDevSystem();
  });
  after(async () => {
    await system?.stop();
  });
  return () => {
    if (system === undefined) throw new Error("the dev system did not start (see the before hook's error)");
    return system;
  };
}
