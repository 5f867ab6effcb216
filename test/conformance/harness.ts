import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { faceFor } from "../../src/cloud-sim/faces/faces.js";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import { type BallastProcess, startBallastProcess } from "../../src/demo/dev-process.js";
import { describeResidue, findHostResidue, isClean, removeHostResidue } from "../../src/demo/host-residue.js";
import { loadProvider } from "../../src/providers/registry.js";
import { CloudApi } from "./cloud-api.js";
import { ballastView, type CloudView, configuredInstances, FaceHttp } from "./cloud-view.js";
import { digitalOceanView, hetznerView } from "./cloud-view-faces.js";
import { devSystemArgs, devSystemLayout } from "./dev-layout.js";
import { type FaceFacts, type FaceName, faceFacts } from "./faces.js";

/** A running `ballast dev` (reference cloud + `all` driver) in its own temp state dir. */
export interface DevSystem {
  readonly csi: CsiClient;
  /** The reference cloud's own API: state on the ballast face, `/admin/*` (faults) on every face. */
  readonly cloud: CloudApi;
  /** The cloud's state read through the API the face serves. */
  readonly view: CloudView;
  readonly face: FaceName;
  readonly facts: FaceFacts;
  readonly endpoint: string;
  readonly stateDir: string;
  /** Where tests put staging and target paths, as kubelet does under /var/lib/kubelet. */
  readonly kubeletDir: string;
  readonly process: BallastProcess;
  /** Stops the driver and the cloud, then removes every mount, loop device and link it left. */
  stop(): Promise<void>;
}

export interface DevSystemOptions {
  /** The API the reference cloud serves and the driver drives; default ballast. */
  face?: FaceName;
  /** More `ballast dev` flags, e.g. a cloud latency. */
  extraArgs?: readonly string[];
}

async function viewOf(face: FaceName, api: CloudApi, token: string, stateDir: string): Promise<CloudView> {
  if (face === "ballast") return ballastView(api);
  const http = new FaceHttp(`${api.url}${faceFor(face).basePath}`, token);
  const instances = await configuredInstances(stateDir);
  const { maxVolumesPerInstance } = await loadProvider(face);
  return face === "digitalocean"
    ? digitalOceanView(http, instances, maxVolumesPerInstance)
    : hetznerView(http, instances, maxVolumesPerInstance);
}

/**
 * Starts `./bin/ballast dev` with a temp state dir and socket, waits for `ready`, and connects
 * a CSI client to the socket exactly as the sidecars would. `stop()` is safe to call twice.
 */
export async function startDevSystem(options: DevSystemOptions = {}): Promise<DevSystem> {
  const face = options.face ?? "ballast";
  const stateDir = await mkdtemp(join(tmpdir(), `ballast-conformance-${face}-`));
  const layout = devSystemLayout(stateDir);
  const kubeletDir = join(stateDir, "kubelet");
  await mkdir(kubeletDir, { recursive: true });
  let process: BallastProcess;
  try {
    process = await startBallastProcess({
      args: [...devSystemArgs(layout, face), ...(options.extraArgs ?? [])],
      readyTimeoutMs: 60_000,
    });
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
  const cloud = new CloudApi(cloudUrl, token);
  let stopped = false;
  const stop = async () => {
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
  };
  try {
    return {
      csi,
      cloud,
      view: await viewOf(face, cloud, token, stateDir),
      face,
      facts: await faceFacts(face),
      endpoint,
      stateDir,
      kubeletDir,
      process,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * One dev system for a whole test file, or for one face's `describe` of it (started in `before`,
 * stopped in `after`); tests call the returned function to reach it.
 */
export function useDevSystem(options: DevSystemOptions = {}): () => DevSystem {
  let system: DevSystem | undefined;
  before(async () => {
    system = await startDevSystem(options);
  });
  after(async () => {
    await system?.stop();
  });
  return () => {
    if (system === undefined) throw new Error("the dev system did not start (see the before hook's error)");
    return system;
  };
}
