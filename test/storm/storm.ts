import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import { findHostResidue, isClean, removeHostResidue } from "../../src/demo/host-residue.js";
import type { ProviderName } from "../../src/providers/provider.js";
import { CloudApi, type FaultConfig } from "../conformance/cloud-api.js";
import { NameCensus } from "./census.js";
import type { InventoryReader, StormInventory } from "./inventory.js";
import { OperationLog } from "./operation-log.js";
import { type Child, freePort, spawnBallast, stopChild, waitReady } from "./processes.js";
import { STORM_FACES, type StormFace } from "./storm-faces.js";
import { judge, leftovers, type StormReport } from "./storm-report.js";
import { CycleFailedError, dataCycle, volumeCycle, type WorkloadContext } from "./workload.js";

export { formatReport, type StormReport } from "./storm-report.js";

export interface StormOptions {
  /** The cloud API the reference cloud serves and the driver drives; default ballast. */
  provider?: ProviderName;
  /** Concurrent workers, each running one cycle at a time. */
  workers: number;
  /** Plain cycles (create → publish → unpublish → [snapshot → restore] → delete). */
  volumes: number;
  /** How many times the controller process is SIGKILLed and restarted. */
  kills: number;
  /** Share of cloud API requests that get a fault (0..1), spread over the fault kinds. */
  errorRate: number;
  /**
   * Data cycles on loop devices (write, snapshot, restore, compare; without snapshots write,
   * detach, attach again, compare); 0 without root.
   */
  dataChecks: number;
  /** Every n-th plain cycle also snapshots and restores (never on a cloud without snapshots). */
  snapshotEvery: number;
  /** Seed of the cloud's fault generator, so a run can be repeated. */
  seed: number;
  /** Progress lines. */
  log: (line: string) => void;
}

const RETRY_BUDGET_MS = 180_000;
const LOCAL_INSTANCE_NAME = hostname();

/**
 * Splits the error rate over every fault kind the reference cloud can inject. Latency stacks on
 * the others; of the rest the first that fires wins, so the overall rate stays near `rate`.
 */
export function stormFaults(rate: number, seed: number): FaultConfig {
  const each = rate / 5;
  return {
    seed,
    rules: [
      { operation: "*", kind: "latency", probability: each, latencyMs: 300 },
      { operation: "*", kind: "error", probability: each, status: 503, retryAfterSeconds: 0 },
      { operation: "*", kind: "rateLimit", probability: each, retryAfterSeconds: 1 },
      { operation: "*", kind: "dropConnection", probability: each },
      { operation: "*", kind: "crashAfterCommit", probability: each },
    ],
  };
}

interface Layout {
  stateDir: string;
  nodeStateDir: string;
  dataDir: string;
  byIdDir: string;
  kubeletDir: string;
  tokenFile: string;
  configFile: string;
  controllerSocket: string;
  nodeSocket: string;
}

async function prepare(
  stateDir: string,
  token: string,
  face: StormFace,
  workers: number,
): Promise<{ layout: Layout; instances: ReturnType<StormFace["instances"]> }> {
  const layout: Layout = {
    stateDir,
    nodeStateDir: join(stateDir, "node"),
    dataDir: join(stateDir, "cloud"),
    byIdDir: join(stateDir, "by-id"),
    kubeletDir: join(stateDir, "kubelet"),
    tokenFile: join(stateDir, "token"),
    configFile: join(stateDir, "cloud-config.json"),
    controllerSocket: join(stateDir, "controller.sock"),
    nodeSocket: join(stateDir, "node.sock"),
  };
  await Promise.all([
    mkdir(layout.byIdDir),
    mkdir(layout.kubeletDir),
    mkdir(layout.dataDir),
    mkdir(layout.nodeStateDir),
  ]);
  await writeFile(layout.tokenFile, `${token}\n`, { mode: 0o600 });
  // API-only instances in one zone, enough of them that attach limits never throttle the storm itself.
  const instances = face.instances(LOCAL_INSTANCE_NAME, workers);
  const config = { instances, quotas: { maxVolumes: 10_000, maxSnapshots: 10_000 } };
  await writeFile(layout.configFile, JSON.stringify(config, null, 2));
  return { layout, instances };
}

interface CloudAddress {
  face: StormFace;
  rootUrl: string;
}

function driverArgs(mode: "controller" | "node", layout: Layout, cloud: CloudAddress): string[] {
  const common = [
    mode,
    "--cloud-provider",
    cloud.face.provider,
    "--cloud-url",
    cloud.face.apiUrl(cloud.rootUrl),
    "--cloud-token-file",
    layout.tokenFile,
    "--cloud-qps",
    "500",
    "--cloud-burst",
    "1000",
    "--log-level",
    "warn",
  ];
  if (mode === "controller") return [...common, "--endpoint", `unix://${layout.controllerSocket}`];
  return [
    ...common,
    "--endpoint",
    `unix://${layout.nodeSocket}`,
    ...cloud.face.nodeArgs(cloud.rootUrl, LOCAL_INSTANCE_NAME),
    "--by-id-dir",
    layout.byIdDir,
    "--state-dir",
    layout.nodeStateDir,
  ];
}

async function startDriver(
  mode: "controller" | "node",
  layout: Layout,
  cloud: CloudAddress,
): Promise<{ child: Child; client: CsiClient }> {
  const child = spawnBallast(mode, driverArgs(mode, layout, cloud));
  const socket = mode === "controller" ? layout.controllerSocket : layout.nodeSocket;
  const client = createCsiClient(`unix://${socket}`);
  try {
    await waitReady(child, () => client.identity.getPluginInfo({}, { timeoutMs: 2000 }));
  } catch (error) {
    client.close();
    await stopChild(child, "SIGKILL");
    throw error;
  }
  return { child, client };
}

/** Lists the whole cloud, retrying while faults are still draining out of the system. */
async function finalInventory(cloud: InventoryReader): Promise<StormInventory> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      return await cloud.read({ thorough: true });
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`cannot list the cloud after the storm: ${String(lastError)}`);
}

/** Job list: the plain cycles with the data cycles spread evenly between them. */
function jobs(options: StormOptions): Array<{ kind: "volume" | "data"; index: number }> {
  const list: Array<{ kind: "volume" | "data"; index: number }> = [];
  const spacing = Math.max(1, Math.floor(options.volumes / (options.dataChecks + 1)));
  let data = 0;
  for (let index = 0; index < options.volumes; index += 1) {
    if (data < options.dataChecks && index > 0 && index % spacing === 0)
      list.push({ kind: "data", index: data++ });
    list.push({ kind: "volume", index });
  }
  while (data < options.dataChecks) list.push({ kind: "data", index: data++ });
  return list;
}

/**
 * The fault storm: the reference cloud (`ballast cloud`), a controller (`ballast controller`)
 * and, for data checks, a node plugin (`ballast node`) as separate processes; workers run
 * cycles through the controller's socket while the cloud injects faults and the controller is
 * SIGKILLed and restarted; afterwards the cloud's state is compared with what workers were told.
 */
export async function runStorm(options: StormOptions): Promise<StormReport> {
  const started = performance.now();
  const stateDir = await mkdtemp(join(tmpdir(), "ballast-storm-"));
  const token = randomBytes(16).toString("hex");
  const face = STORM_FACES[options.provider ?? "ballast"];
  const { layout, instances: instanceConfig } = await prepare(stateDir, token, face, options.workers);
  const prefix = `storm-${randomBytes(3).toString("hex")}`;
  const log = new OperationLog();
  const children: Child[] = [];
  const clients: CsiClient[] = [];
  let cloudChild: Child | undefined;
  let kills = 0;
  try {
    const port = await freePort();
    const cloudUrl = `http://127.0.0.1:${port}`;
    const address: CloudAddress = { face, rootUrl: cloudUrl };
    cloudChild = spawnBallast("cloud", [
      "cloud",
      ...face.cloudArgs,
      "--listen",
      `127.0.0.1:${port}`,
      "--data-dir",
      layout.dataDir,
      "--token-file",
      layout.tokenFile,
      "--by-id-dir",
      layout.byIdDir,
      "--config",
      layout.configFile,
      "--latency-ms",
      "50",
      "--log-level",
      "warn",
    ]);
    // `/admin/*` is the ballast admin API on every face.
    const admin = new CloudApi(cloudUrl, token);
    await waitReady(cloudChild, () => admin.requestCounters());
    const instances = await face.instanceIds(cloudUrl, token, instanceConfig);
    const cloud = face.reader(cloudUrl, token, instances);
    await cloud.read();
    options.log(`${face.provider} cloud ready at ${cloudUrl}`);

    let controller = await startDriver("controller", layout, address);
    clients.push(controller.client);
    options.log("controller ready");
    let node: Awaited<ReturnType<typeof startDriver>> | undefined;
    if (options.dataChecks > 0) {
      node = await startDriver("node", layout, address);
      children.push(node.child);
      clients.push(node.client);
      options.log("node plugin ready");
    }

    // One client for the workers, reconnecting by itself across controller restarts.
    const context: WorkloadContext = {
      controller: createCsiClient(`unix://${layout.controllerSocket}`),
      node: node?.client,
      log,
      prefix,
      zone: face.zone,
      remoteNodeIds: instances.remoteIds,
      localNodeId: instances.localId,
      kubeletDir: layout.kubeletDir,
      retryBudgetMs: RETRY_BUDGET_MS,
      volumeParameters: face.volumeParameters,
      snapshots: face.snapshots,
      onSnapshot: (snapshotId) => cloud.remember("snapshot", snapshotId),
    };
    clients.push(context.controller);

    await admin.setFaults(stormFaults(options.errorRate, options.seed));
    options.log(`faults on: ${Math.round(options.errorRate * 100)} % of cloud requests`);
    const census = new NameCensus(cloud, prefix);
    census.start(1000);

    const queue = jobs(options);
    const total = queue.length;
    let next = 0;
    let finished = 0;
    const cycleFailures: string[] = [];
    const data = { checks: 0, identical: 0, failures: [] as string[] };
    let chaos = Promise.resolve();
    const killAndRestart = async () => {
      await stopChild(controller.child, "SIGKILL");
      kills += 1;
      options.log(
        `controller SIGKILLed (${kills}/${options.kills}) after ${finished}/${total} cycles; restarting`,
      );
      controller.client.close();
      controller = await startDriver("controller", layout, address);
      clients.push(controller.client);
    };
    let scheduledKills = 0;
    const onFinished = () => {
      finished += 1;
      // Kill n is due after n/(kills+1) of the cycles, so the kills spread over the whole run.
      const due = Math.floor((total * (scheduledKills + 1)) / (options.kills + 1));
      if (scheduledKills < options.kills && finished >= due) {
        scheduledKills += 1;
        chaos = chaos.then(killAndRestart);
      }
      if (finished % Math.max(1, Math.floor(total / 10)) === 0)
        options.log(`${finished}/${total} cycles done`);
    };

    const worker = async () => {
      for (;;) {
        const job = queue[next];
        next += 1;
        if (job === undefined) return;
        try {
          if (job.kind === "volume") {
            await volumeCycle(context, job.index, face.snapshots && job.index % options.snapshotEvery === 0);
          } else {
            data.checks += 1;
            if (await dataCycle(context, job.index)) data.identical += 1;
            else data.failures.push(`data cycle ${job.index}: restored file differs from the written one`);
          }
        } catch (error) {
          const message = error instanceof CycleFailedError ? error.message : String(error);
          cycleFailures.push(`${job.kind} ${job.index}: ${message}`);
          if (job.kind === "data") data.failures.push(`data cycle ${job.index}: ${message}`);
        }
        onFinished();
      }
    };
    await Promise.all(Array.from({ length: options.workers }, worker));
    await chaos;
    children.push(controller.child);

    await admin.setFaults({ rules: [] });
    await census.stop();
    const inventory = await finalInventory(cloud);
    census.record(inventory);
    const counters = await admin.requestCounters();
    const answered = (status: number) =>
      counters
        .filter((counter) => counter.status === status)
        .reduce((sum, counter) => sum + counter.count, 0);
    const faultsServed = { unavailable: answered(503), rateLimited: answered(429), dropped: answered(0) };

    const report: StormReport = {
      options: {
        provider: face.provider,
        workers: options.workers,
        volumes: options.volumes,
        kills: options.kills,
        errorRate: options.errorRate,
        dataChecks: options.dataChecks,
        snapshotEvery: options.snapshotEvery,
        seed: options.seed,
      },
      snapshots: face.snapshots,
      durationMs: performance.now() - started,
      cycles: {
        completed: total - cycleFailures.length,
        failed: cycleFailures.length,
        failures: cycleFailures,
      },
      rpc: log.totals(),
      nonRetryableFailures: log.nonRetryableFailures,
      kills,
      duplicates: { volumes: census.duplicateVolumeNames(), snapshots: census.duplicateSnapshotNames() },
      ...leftovers(inventory, prefix),
      data,
      census: { samples: census.samples, failedSamples: census.failedSamples },
      faultsServed,
      passed: false,
    };
    report.passed = judge(report);
    return report;
  } finally {
    for (const client of clients) client.close();
    for (const child of children) await stopChild(child, "SIGTERM");
    if (cloudChild) await stopChild(cloudChild, "SIGTERM");
    const residue = await findHostResidue({
      mountRoot: stateDir,
      backingFileRoot: stateDir,
      byIdDir: layout.byIdDir,
    });
    if (!isClean(residue)) await removeHostResidue(residue);
    await rm(stateDir, { recursive: true, force: true });
  }
}
