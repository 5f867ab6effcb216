import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import { findHostResidue, isClean, removeHostResidue } from "../../src/demo/host-residue.js";
import { CloudApi, type CloudInventory, type FaultConfig } from "../conformance/cloud-api.js";
import { NameCensus } from "./census.js";
import { OperationLog, type RpcFigures } from "./operation-log.js";
import { type Child, freePort, spawnBallast, stopChild, waitReady } from "./processes.js";
import { CycleFailedError, dataCycle, volumeCycle, type WorkloadContext } from "./workload.js";

export interface StormOptions {
  /** Concurrent workers, each running one cycle at a time. */
  workers: number;
  /** Plain cycles (create → publish → unpublish → [snapshot → restore] → delete). */
  volumes: number;
  /** How many times the controller process is SIGKILLed and restarted. */
  kills: number;
  /** Share of cloud API requests that get a fault (0..1), spread over the fault kinds. */
  errorRate: number;
  /** Data cycles on loop devices (write, snapshot, restore, compare); 0 without root. */
  dataChecks: number;
  /** Every n-th plain cycle also snapshots and restores. */
  snapshotEvery: number;
  /** Seed of the cloud's fault generator, so a run can be repeated. */
  seed: number;
  /** Progress lines. */
  log: (line: string) => void;
}

export interface StormReport {
  options: Omit<StormOptions, "log">;
  durationMs: number;
  cycles: { completed: number; failed: number; failures: string[] };
  rpc: RpcFigures;
  nonRetryableFailures: string[];
  kills: number;
  duplicates: { volumes: string[]; snapshots: string[] };
  leaks: { volumes: string[]; snapshots: string[] };
  attachmentsLeft: string[];
  data: { checks: number; identical: number; failures: string[] };
  census: { samples: number; failedSamples: number };
  /** Faulted answers the cloud actually served, from its request log: proof the storm blew. */
  faultsServed: { unavailable: number; rateLimited: number; dropped: number };
  passed: boolean;
}

const ZONE = "ref-1a";
const REMOTE_INSTANCES = 4;
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
  dataDir: string;
  byIdDir: string;
  kubeletDir: string;
  tokenFile: string;
  configFile: string;
  controllerSocket: string;
  nodeSocket: string;
}

async function prepare(stateDir: string, token: string): Promise<Layout> {
  const layout: Layout = {
    stateDir,
    dataDir: join(stateDir, "cloud"),
    byIdDir: join(stateDir, "by-id"),
    kubeletDir: join(stateDir, "kubelet"),
    tokenFile: join(stateDir, "token"),
    configFile: join(stateDir, "cloud-config.json"),
    controllerSocket: join(stateDir, "controller.sock"),
    nodeSocket: join(stateDir, "node.sock"),
  };
  await Promise.all([mkdir(layout.byIdDir), mkdir(layout.kubeletDir), mkdir(layout.dataDir)]);
  await writeFile(layout.tokenFile, `${token}\n`, { mode: 0o600 });
  // Roomy API-only instances in one zone, so attach limits never throttle the storm itself.
  const instances = [
    { name: LOCAL_INSTANCE_NAME, zone: ZONE, maxAttachedVolumes: 64, local: true },
    ...Array.from({ length: REMOTE_INSTANCES }, (_, index) => ({
      name: `storm-node-${index}`,
      zone: ZONE,
      maxAttachedVolumes: 256,
    })),
  ];
  const config = { instances, quotas: { maxVolumes: 10_000, maxSnapshots: 10_000 } };
  await writeFile(layout.configFile, JSON.stringify(config, null, 2));
  return layout;
}

function driverArgs(mode: "controller" | "node", layout: Layout, cloudUrl: string): string[] {
  const common = [
    mode,
    "--cloud-url",
    cloudUrl,
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
    "--node-name",
    LOCAL_INSTANCE_NAME,
    "--by-id-dir",
    layout.byIdDir,
  ];
}

async function startDriver(
  mode: "controller" | "node",
  layout: Layout,
  cloudUrl: string,
): Promise<{ child: Child; client: CsiClient }> {
  const child = spawnBallast(mode, driverArgs(mode, layout, cloudUrl));
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
async function finalInventory(cloud: CloudApi): Promise<CloudInventory> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      return await cloud.inventory();
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
  const layout = await prepare(stateDir, token);
  const prefix = `storm-${randomBytes(3).toString("hex")}`;
  const log = new OperationLog();
  const children: Child[] = [];
  const clients: CsiClient[] = [];
  let cloudChild: Child | undefined;
  let kills = 0;
  try {
    const port = await freePort();
    const cloudUrl = `http://127.0.0.1:${port}`;
    cloudChild = spawnBallast("cloud", [
      "cloud",
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
    const cloud = new CloudApi(cloudUrl, token);
    await waitReady(cloudChild, () => cloud.instances());
    options.log(`cloud ready at ${cloudUrl}`);
    const instances = await cloud.instances();
    const local = instances.find((instance) => instance.name === LOCAL_INSTANCE_NAME);
    if (local === undefined) throw new Error(`the cloud has no instance named ${LOCAL_INSTANCE_NAME}`);
    const remoteNodeIds = instances
      .filter((instance) => instance.id !== local.id)
      .map((instance) => instance.id);

    let controller = await startDriver("controller", layout, cloudUrl);
    clients.push(controller.client);
    options.log("controller ready");
    let node: Awaited<ReturnType<typeof startDriver>> | undefined;
    if (options.dataChecks > 0) {
      node = await startDriver("node", layout, cloudUrl);
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
      zone: ZONE,
      remoteNodeIds,
      localNodeId: local.id,
      kubeletDir: layout.kubeletDir,
      retryBudgetMs: RETRY_BUDGET_MS,
    };
    clients.push(context.controller);

    await cloud.setFaults(stormFaults(options.errorRate, options.seed));
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
      controller = await startDriver("controller", layout, cloudUrl);
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
            await volumeCycle(context, job.index, job.index % options.snapshotEvery === 0);
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

    await cloud.setFaults({ rules: [] });
    await census.stop();
    const inventory = await finalInventory(cloud);
    census.record(inventory);
    const counters = await cloud.requestCounters();
    const answered = (status: number) =>
      counters
        .filter((counter) => counter.status === status)
        .reduce((sum, counter) => sum + counter.count, 0);
    const faultsServed = { unavailable: answered(503), rateLimited: answered(429), dropped: answered(0) };
    const ours = (name: string | undefined) => name?.startsWith(prefix) ?? false;
    const leakedVolumes = inventory.volumes
      .filter((volume) => ours(volume.tags["ballast.dev/csi-name"]))
      .map((volume) => `${volume.id} (${volume.tags["ballast.dev/csi-name"]}, ${volume.status})`);
    const leakedSnapshots = inventory.snapshots
      .filter((snapshot) => ours(snapshot.tags?.["ballast.dev/csi-name"] ?? snapshot.name))
      .map((snapshot) => `${snapshot.id} (${snapshot.name}, ${snapshot.status})`);
    const attachmentsLeft = [
      ...inventory.volumes.flatMap((volume) =>
        volume.attachments.map(
          (attachment) => `${volume.id} on ${attachment.instanceId} (${attachment.state})`,
        ),
      ),
      ...inventory.instances.flatMap((instance) =>
        instance.attachedVolumeIds
          .filter((id) => !inventory.volumes.some((volume) => volume.id === id))
          .map((id) => `${instance.id} still lists ${id}`),
      ),
    ];

    const report: StormReport = {
      options: {
        workers: options.workers,
        volumes: options.volumes,
        kills: options.kills,
        errorRate: options.errorRate,
        dataChecks: options.dataChecks,
        snapshotEvery: options.snapshotEvery,
        seed: options.seed,
      },
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
      leaks: { volumes: leakedVolumes, snapshots: leakedSnapshots },
      attachmentsLeft,
      data,
      census: { samples: census.samples, failedSamples: census.failedSamples },
      faultsServed,
      passed: false,
    };
    report.passed =
      report.cycles.failed === 0 &&
      report.rpc.nonRetryable === 0 &&
      report.kills >= options.kills &&
      report.duplicates.volumes.length === 0 &&
      report.duplicates.snapshots.length === 0 &&
      report.leaks.volumes.length === 0 &&
      report.leaks.snapshots.length === 0 &&
      report.attachmentsLeft.length === 0 &&
      report.data.identical === options.dataChecks &&
      (options.errorRate === 0 || Object.values(faultsServed).every((count) => count > 0));
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

function list(items: readonly string[], limit = 5): string {
  if (items.length === 0) return "";
  const shown = items.slice(0, limit).join("; ");
  return items.length > limit ? ` (${shown}; … ${items.length - limit} more)` : ` (${shown})`;
}

/** The figures, one per line, for a person to read. */
export function formatReport(report: StormReport): string[] {
  const { options } = report;
  const codes = Object.entries(report.rpc.failedByCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(", ");
  const failedAttempts = report.rpc.calls - report.rpc.succeeded;
  return [
    `storm: ${options.workers} workers, ${options.volumes} volumes (every ${options.snapshotEvery}. with snapshot + restore), ${options.dataChecks} data checks, ${Math.round(options.errorRate * 100)} % cloud faults, ${options.kills} controller kills, seed ${options.seed}`,
    `  duration            ${(report.durationMs / 1000).toFixed(1)} s`,
    `  cycles              ${report.cycles.completed} completed, ${report.cycles.failed} failed${list(report.cycles.failures)}`,
    `  RPC attempts        ${report.rpc.calls}: ${report.rpc.succeeded} succeeded, ${failedAttempts} failed and retried or not${codes ? ` (${codes})` : ""}`,
    `  non-retryable       ${report.rpc.nonRetryable}${list(report.nonRetryableFailures)}`,
    `  controller kills    ${report.kills} (SIGKILL, then restart)`,
    `  duplicate names     ${report.duplicates.volumes.length} volumes, ${report.duplicates.snapshots.length} snapshots${list([...report.duplicates.volumes, ...report.duplicates.snapshots])}`,
    `  leaked after delete ${report.leaks.volumes.length} volumes, ${report.leaks.snapshots.length} snapshots${list([...report.leaks.volumes, ...report.leaks.snapshots])}`,
    `  attachments left    ${report.attachmentsLeft.length}${list(report.attachmentsLeft)}`,
    `  data after restore  ${report.data.identical}/${report.data.checks} identical${list(report.data.failures)}`,
    `  cloud census        ${report.census.samples} samples (${report.census.failedSamples} hit a fault and were skipped)`,
    `  faults served       ${report.faultsServed.unavailable} × 503, ${report.faultsServed.rateLimited} × 429, ${report.faultsServed.dropped} dropped connections`,
    `  result              ${report.passed ? "PASS" : "FAIL"}`,
  ];
}
