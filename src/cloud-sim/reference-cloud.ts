import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import {
  type ContractViolation,
  type FaultConfig,
  type ReferenceCloudConfig,
  type ResolvedConfig,
  resolveConfig,
} from "./config.js";
import { Contract } from "./contract.js";
import { CloudEngine, type IdGenerator, NO_WRITES_TO_HOLD, SnapshotCaptures } from "./engine/index.js";
import { createHandlers } from "./faces/ballast/handlers.js";
import { HttpFront } from "./faces/ballast/http-front.js";
import type { ApiName, Face, RateLimitOverride } from "./faces/face.js";
import { faceFor } from "./faces/faces.js";
import { FaultInjector } from "./faults.js";
import { FilesystemFreeze } from "./filesystem-freeze.js";
import { type LocalAttachProbe, LoopDevices } from "./loop-devices.js";
import { OperationRunner } from "./operation-runner.js";
import { RequestLog } from "./request-log.js";
import { type RunProgram, runProgram } from "./run-program.js";
import type { CloudState, InstanceRecord } from "./state.js";
import { StateFile } from "./state-file.js";
import { VolumeFiles } from "./volume-files.js";

export interface ReferenceCloud {
  /** Base URL, e.g. `http://127.0.0.1:41234` (the ballast API is under `/v1`). */
  readonly url: string;
  /** The API this cloud serves. */
  readonly api: ApiName;
  /** Where a client of that API points: `url` itself, or `url` + `/v1` for Hetzner's. */
  readonly apiUrl: string;
  readonly port: number;
  /** A token the server accepts (the first configured). */
  readonly token: string;
  readonly dataDir: string;
  readonly byIdDir: string;
  /** The instance that stands for this machine, when there is one. */
  readonly localInstanceId: string | undefined;
  readonly localAttach: LocalAttachProbe;
  /** Responses that broke the contract (each was replaced by a 500); tests assert this stays empty. */
  readonly contractViolations: readonly ContractViolation[];
  setFaults(faults: FaultConfig): FaultConfig;
  /**
   * Stops serving, lets work in progress finish and persists the state. Attachments stay as they
   * are unless `detachLocalDevices` is set, which removes this machine's loop devices and links
   * (the stored attachments remain, and the next start recreates them) — what tests want.
   */
  close(options?: { detachLocalDevices?: boolean }): Promise<void>;
}

/** What a cloud serves besides its configuration: which API, and that API's request budget. */
export interface ReferenceCloudOptions extends ReferenceCloudConfig {
  /** Default `ballast`; `digitalocean` and `hetzner` serve those clouds' APIs over the same engine. */
  api?: ApiName;
  /** Overrides the provider API's real rate limits; false turns them off. */
  apiRateLimit?: RateLimitOverride;
}

export class ReferenceCloudStartError extends Error {
  override readonly name = "ReferenceCloudStartError";
}

/**
 * Starts the reference cloud: a real HTTP server implementing openapi/block-storage.v1.yaml, or
 * another cloud's API (`api`) over the same engine, with that cloud's defaults for zones and types.
 */
export async function startReferenceCloud(
  config: ReferenceCloudOptions,
  dependencies: { run?: RunProgram; contract?: Contract } = {},
): Promise<ReferenceCloud> {
  const face = faceFor(config.api ?? "ballast");
  const resolved = resolveConfig({
    ...config,
    zones: config.zones ?? face.defaultZones,
    volumeTypes: config.volumeTypes ?? face.volumeTypes,
  });
  const run = dependencies.run ?? runProgram;
  const logger = config.logger;
  await ensureWritable(resolved.dataDir);

  const requestLog = new RequestLog();
  const stateFile = new StateFile(
    StateFile.pathIn(resolved.dataDir),
    () => state,
    (bytes, durationMs) => requestLog.recordStateWrite(bytes, durationMs),
  );
  const state: CloudState = await stateFile.load();
  const ids = face.newId((id) => idTaken(state, id));
  reconcileInstances(state, resolved, ids);
  checkIdsFit(state, face, resolved.dataDir);
  const save = () => stateFile.save();
  await save();

  const files = new VolumeFiles(resolved.dataDir, run);
  await files.prepare();
  const loops = new LoopDevices(run, resolved.byIdDir, (volumeId) =>
    face.linkName(state.volumes[volumeId] ?? { id: volumeId }),
  );
  const local = state.instances.find((i) => i.local);
  const localAttach: LocalAttachProbe =
    local === undefined
      ? { available: false, reason: "no instance stands for this machine" }
      : resolved.localAttach
        ? await loops.probe()
        : { available: false, reason: "local attach is turned off in the configuration" };
  if (!localAttach.available) logger?.warn({ reason: localAttach.reason }, "local attach unavailable");

  const writes = localAttach.available ? new FilesystemFreeze({ loops, files, run }) : NO_WRITES_TO_HOLD;
  const captures = new SnapshotCaptures(files, logger, writes);
  await captures.resume(state);
  const localIds = new Set(state.instances.filter((i) => i.local).map((i) => i.id));
  const runner = new OperationRunner({
    state,
    save,
    files,
    loops,
    captures,
    isLocal: (instanceId) => localIds.has(instanceId),
    ...(logger === undefined ? {} : { logger }),
  });
  const engine = new CloudEngine({
    config: resolved,
    state,
    save,
    schedule: (operation) => runner.schedule(operation),
    expectedRunMs: (kind) => runner.expectedRunMs(kind),
    localAttach: () => localAttach,
    byIdPath: (serial) => loops.byIdPath(serial),
    captures,
    newId: ids,
    attachLimits: face.attachLimits,
  });

  if (localAttach.available && local !== undefined)
    await reconcileLocalDevices(state, local.id, files, loops);
  for (const operation of Object.values(state.operations)) {
    if (operation.status === "running") runner.schedule(operation);
  }

  const faults = new FaultInjector(resolved.faults);
  const contractViolations: ContractViolation[] = [];
  const front = new HttpFront({
    contract: dependencies.contract ?? Contract.load(),
    handlers: createHandlers({
      engine,
      faults,
      requestLog,
      health: () => ({ localAttach, localInstanceId: local?.id }),
    }),
    tokens: resolved.tokens,
    faults,
    requestLog,
    ...(logger === undefined ? {} : { logger }),
    onContractViolation: (violation) => {
      contractViolations.push(violation);
      config.onContractViolation?.(violation);
    },
  });
  const listener = face.listener({
    engine,
    faults,
    requestLog,
    tokens: resolved.tokens,
    admin: front.listener,
    localInstance: local,
    byIdPath: (volumeId) => loops.byIdPath(volumeId),
    ...(config.apiRateLimit === undefined ? {} : { rateLimit: config.apiRateLimit }),
    ...(logger === undefined ? {} : { logger }),
    onContractViolation: (violation) => {
      contractViolations.push(violation);
      config.onContractViolation?.(violation);
    },
  });
  const server = createServer({ keepAliveTimeout: 5_000 }, listener);
  const port = await listen(server, resolved.host, resolved.port).catch(async (error: unknown) => {
    await runner.close();
    throw error;
  });
  const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  logger?.info(
    { url: `http://${host}:${port}`, api: face.api, dataDir: resolved.dataDir },
    "reference cloud listening",
  );

  return {
    url: `http://${host}:${port}`,
    api: face.api,
    apiUrl: `http://${host}:${port}${face.basePath}`,
    port,
    token: resolved.tokens[0] as string,
    dataDir: resolved.dataDir,
    byIdDir: resolved.byIdDir,
    localInstanceId: local?.id,
    localAttach,
    contractViolations,
    setFaults: (next) => faults.set(next),
    async close(options) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1_000).unref();
      await runner.close();
      await save();
      await closed;
      if (options?.detachLocalDevices && local !== undefined && localAttach.available) {
        for (const volume of Object.values(state.volumes)) {
          if (volume.attachments.some((a) => a.instanceId === local.id)) {
            await loops.detach(files.volumePath(volume.id), volume.id);
          }
        }
      }
    },
  };
}

async function ensureWritable(dataDir: string): Promise<void> {
  const probe = join(dataDir, `.write-probe-${process.pid}`);
  try {
    await makeDirectories(dataDir);
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    throw new ReferenceCloudStartError(`data dir ${dataDir} is not writable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * `mkdir -p` one level at a time: Node's recursive mkdir never returns when the kernel answers
 * ENOENT for a parent that exists (e.g. under /proc), which would hang startup instead of failing.
 */
async function makeDirectories(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    const parent = dirname(path);
    if (code !== "ENOENT" || parent === path || (await exists(parent))) throw error;
    await makeDirectories(parent);
    await mkdir(path);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Instances come from the configuration; their ids come from the state so they survive restarts. */
function reconcileInstances(state: CloudState, config: ResolvedConfig, newId: IdGenerator): void {
  const previous = state.instances;
  state.instances = config.instances.map((instance): InstanceRecord => {
    const local = instance.local === true;
    const known = local
      ? previous.find((p) => p.local)
      : previous.find((p) => !p.local && p.name === instance.name);
    return {
      id: instance.id ?? known?.id ?? newId("i"),
      name: instance.name,
      zone: instance.zone,
      maxAttachedVolumes: instance.maxAttachedVolumes,
      local,
    };
  });
}

function idTaken(state: CloudState, id: string): boolean {
  return (
    id in state.volumes ||
    id in state.snapshots ||
    id in state.operations ||
    id in (state.snapshotGroups ?? {}) ||
    state.instances.some((i) => i.id === id)
  );
}

/**
 * A data dir keeps the ids of the API it was served as, and another API could not name them; ids
 * the configuration fixes must fit the API too (integers for DigitalOcean's droplets).
 */
function checkIdsFit(state: CloudState, face: Face, dataDir: string): void {
  const foreign = [
    ...state.instances.filter((i) => !face.ownsId("instance", i.id)).map((i) => `instance ${i.id}`),
    ...Object.keys(state.volumes)
      .filter((id) => !face.ownsId("volume", id))
      .map((id) => `volume ${id}`),
  ];
  if (foreign.length > 0) {
    throw new ReferenceCloudStartError(
      `data dir ${dataDir} holds ids that the ${face.api} API cannot serve (${foreign.slice(0, 3).join(", ")}): it was served as another API (use a new data dir), or the configuration gives instance ids of another format`,
    );
  }
}

/**
 * Brings this machine's loop devices and links in line with the stored attachments: attached
 * volumes get their device back (e.g. after a reboot), devices over our volume files that no
 * attachment explains are removed. Attaching and detaching ones are left to their operations.
 */
async function reconcileLocalDevices(
  state: CloudState,
  localId: string,
  files: VolumeFiles,
  loops: LoopDevices,
): Promise<void> {
  const wanted = new Set<string>();
  for (const volume of Object.values(state.volumes)) {
    const attachment = volume.attachments.find((a) => a.instanceId === localId);
    if (attachment === undefined) continue;
    const file = files.volumePath(volume.id);
    wanted.add(file);
    if (attachment.state === "attached") {
      attachment.devicePath = await loops.attach(file, volume.id, attachment.readOnly);
    }
  }
  for (const loop of await loops.list()) {
    if (!loop.backingFile.startsWith(`${files.volumesDir}/`) || wanted.has(loop.backingFile)) continue;
    const volumeId = loop.backingFile.slice(files.volumesDir.length + 1).replace(/\.img$/, "");
    await loops.detach(loop.backingFile, volumeId);
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === "EADDRINUSE"
          ? "address already in use: stop the process holding it or choose another port (0 picks a free one)"
          : error.message;
      reject(new ReferenceCloudStartError(`cannot listen on ${host}:${port}: ${reason}`, { cause: error }));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
