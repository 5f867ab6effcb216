import { join } from "node:path";
import { type FloorServer, startBallastNode, startBareServer } from "../harness/floor-servers.js";
import { imageNodeFlags } from "../harness/image-flags.js";
import { type ProcessRss, processRss } from "../harness/memory.js";
import { runFor } from "../harness/pool.js";
import { cpuSeconds } from "../harness/process-cpu.js";
import { RawCallError, RawUnaryCaller } from "../harness/raw-grpc-client.js";
import {
  countError,
  type ErrorCounts,
  elapsedMs,
  type LatencySummary,
  quantiles,
  ratio,
  summarize,
  totalErrors,
} from "../harness/stats.js";

export interface NodeFloorOptions {
  /** Rounds per server; each round gives every server `roundMs` of load, in a rotating order. */
  rounds: number;
  roundMs: number;
  concurrency: number;
  /** When the start-up reading is taken. */
  idleSettleMs: number;
  /**
   * When the idle reading is taken: V8 gives start-up garbage back only after some seconds
   * without work (its memory reducer), and a node plugin is idle for hours.
   */
  idleMs: number;
  driverLogLevel?: string;
  workDir: string;
  repoRoot: string;
  /** Another checkout's build (e.g. the commit before a change), measured in the same rounds. */
  baselineRepo?: string | undefined;
}

export interface FloorSide {
  label: string;
  /** The node flags it ran with (the image's NODE_OPTIONS). */
  nodeFlags: string[];
  /** HTTP/2 DATA bytes of one answer (frame header included): the same on every side. */
  responseBytes: number;
  calls: number;
  /** All its calls over all its rounds' time. */
  callsPerSecond: number;
  roundCallsPerSecond: number[];
  latency: LatencySummary;
  /** Latency in ms at each of QUANTILES. */
  quantilesMs: number[];
  errors: ErrorCounts;
  /** The server's own CPU (user + system) per call, in microseconds: less noisy than calls/s. */
  cpuMicrosPerCall: number | null;
  memory: {
    /** `idleSettleMs` after start, before the first call. */
    startup: MemoryFigure;
    /** `idleMs` after start, before the first call. */
    idle: MemoryFigure;
    /** Right after its last round. */
    afterLoad: MemoryFigure;
    /**
     * The kernel's high-water mark (VmHWM) at the end, or the highest RSS the bench read of the
     * process if that is higher: the kernel updates its mark lazily, and a reading taken between
     * its updates can be higher.
     */
    highWaterRssBytes: number;
  };
}

export interface MemoryFigure {
  rssBytes: number;
  rssAnonBytes: number;
}

export interface FloorTarget {
  figure: string;
  value: number | null;
  target: string;
  met: boolean;
}

export interface NodeFloorResult {
  rounds: number;
  roundMs: number;
  startupMs: number;
  idleMs: number;
  concurrency: number;
  /** The bare grpc-js server first, then `ballast node`, then the baseline build if any. */
  sides: FloorSide[];
  /** RSS of every server every 250 ms through the rounds, in ms since the first round. */
  rssSeries: { label: string; points: [number, number][] }[];
  /** `ballast node` against the floor and the absolute limits. */
  targets: FloorTarget[];
}

const SAMPLE_MS = 250;
const WARM_UP_MS = 1_000;
const MiB = 1024 * 1024;

interface SideState {
  server: FloorServer;
  caller: RawUnaryCaller;
  responseBytes: number;
  latencies: number[];
  errors: ErrorCounts;
  roundRates: number[];
  busyMs: number;
  cpuSeconds: number;
  startup: MemoryFigure;
  idle: MemoryFigure;
  afterLoad: MemoryFigure;
}

function figure({ rssBytes, rssAnonBytes }: ProcessRss): MemoryFigure {
  return { rssBytes, rssAnonBytes };
}

const METHOD = "/csi.v1.Node/NodeGetCapabilities";

function errorLabel(error: unknown): string {
  return error instanceof RawCallError ? error.label : (error as Error).message;
}

async function round(side: SideState, options: NodeFloorOptions): Promise<void> {
  const cpuBefore = await cpuSeconds(side.server.pid);
  const started = process.hrtime.bigint();
  let calls = 0;
  await runFor(options.roundMs, options.concurrency, async () => {
    const callStarted = process.hrtime.bigint();
    try {
      side.responseBytes = await side.caller.call();
      side.latencies.push(elapsedMs(callStarted));
      calls += 1;
    } catch (error) {
      countError(side.errors, errorLabel(error));
    }
  });
  const ms = elapsedMs(started);
  side.busyMs += ms;
  side.roundRates.push(Math.round((calls * 1000) / ms));
  side.cpuSeconds += (await cpuSeconds(side.server.pid)) - cpuBefore;
  side.afterLoad = figure(await processRss(side.server.pid));
}

function targets(bare: FloorSide, node: FloorSide): FloorTarget[] {
  const callsRatio = ratio(node.callsPerSecond, bare.callsPerSecond);
  const p99Ratio = ratio(node.latency.p99Ms, bare.latency.p99Ms);
  const idle = node.memory.idle.rssBytes / MiB;
  const loaded = node.memory.afterLoad.rssBytes / MiB;
  return [
    { figure: "calls/s, node / floor", value: callsRatio, target: ">= 0.75", met: (callsRatio ?? 0) >= 0.75 },
    { figure: "p99, node / floor", value: p99Ratio, target: "<= 2", met: p99Ratio !== null && p99Ratio <= 2 },
    {
      figure: "RSS idle (settled), MiB",
      value: Math.round(idle * 10) / 10,
      target: "<= 60",
      met: idle <= 60,
    },
    {
      figure: "RSS after load, MiB",
      value: Math.round(loaded * 10) / 10,
      target: "<= 100",
      met: loaded <= 100,
    },
  ];
}

/**
 * Scenario 7: `ballast node` against the floor of its own stack, a bare grpc-js server answering
 * NodeGetCapabilities with a constant, driven by the same client at the same concurrency in
 * rounds whose order rotates, so a noisy neighbour on a shared machine hits every side alike. The
 * client is a bare HTTP/2 one (raw-grpc-client.ts): it shares the 2 cores with the server it
 * drives, and the grpc-js client's own cost would cap both sides at the same rate.
 */
export async function runNodeFloor(options: NodeFloorOptions): Promise<NodeFloorResult> {
  const logLevel = options.driverLogLevel ?? "info";
  // The floor runs with this tree's image flags too: the ratios are then the driver's code alone.
  const nodeFlags = await imageNodeFlags(options.repoRoot);
  const servers: FloorServer[] = [];
  const timer: { handle?: NodeJS.Timeout } = {};
  const states: SideState[] = [];
  try {
    servers.push(
      await startBareServer({
        label: "bare grpc-js",
        dir: join(options.workDir, "bare"),
        repoRoot: options.repoRoot,
        nodeFlags,
      }),
    );
    servers.push(
      await startBallastNode({
        label: "ballast node",
        dir: join(options.workDir, "node"),
        repoRoot: options.repoRoot,
        harnessRoot: options.repoRoot,
        logLevel,
        nodeFlags,
      }),
    );
    if (options.baselineRepo !== undefined) {
      servers.push(
        await startBallastNode({
          label: "ballast node (baseline)",
          dir: join(options.workDir, "baseline"),
          repoRoot: options.baselineRepo,
          harnessRoot: options.repoRoot,
          logLevel,
          nodeFlags: await imageNodeFlags(options.baselineRepo),
        }),
      );
    }
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, options.idleSettleMs));
    const startup = await Promise.all(servers.map(async (server) => figure(await processRss(server.pid))));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, options.idleMs - (Date.now() - startedAt))),
    );
    for (const [index, server] of servers.entries()) {
      const idle = figure(await processRss(server.pid));
      states.push({
        server,
        // An empty NodeGetCapabilitiesRequest is zero bytes on the wire.
        caller: new RawUnaryCaller(server.socketPath, METHOD, new Uint8Array()),
        responseBytes: 0,
        latencies: [],
        errors: {},
        roundRates: [],
        busyMs: 0,
        cpuSeconds: 0,
        startup: startup[index] as MemoryFigure,
        idle,
        afterLoad: idle,
      });
    }
    for (const { caller } of states) {
      await runFor(Math.min(WARM_UP_MS, options.roundMs / 5), options.concurrency, async () => {
        await caller.call().catch(() => undefined);
      });
    }

    const started = Date.now();
    const series = states.map(({ server }) => ({ label: server.label, points: [] as [number, number][] }));
    timer.handle = setInterval(() => {
      const at = Date.now() - started;
      states.forEach(({ server }, index) => {
        processRss(server.pid).then(
          ({ rssBytes }) => series[index]?.points.push([at, rssBytes]),
          () => undefined,
        );
      });
    }, SAMPLE_MS);
    for (let index = 0; index < options.rounds; index += 1) {
      for (let turn = 0; turn < states.length; turn += 1) {
        const side = states[(index + turn) % states.length] as SideState;
        await round(side, options);
      }
    }
    clearInterval(timer.handle);

    const sides: FloorSide[] = [];
    for (const [index, state] of states.entries()) {
      const calls = state.latencies.length;
      const read = [state.startup, state.idle, state.afterLoad].map((figure) => figure.rssBytes);
      const sampled = (series[index]?.points ?? []).map(([, rssBytes]) => rssBytes);
      sides.push({
        label: state.server.label,
        nodeFlags: state.server.nodeFlags,
        responseBytes: state.responseBytes,
        calls: calls + totalErrors(state.errors),
        callsPerSecond: Math.round((calls * 1000) / state.busyMs),
        roundCallsPerSecond: state.roundRates,
        latency: summarize(state.latencies),
        quantilesMs: quantiles(state.latencies),
        errors: state.errors,
        cpuMicrosPerCall: calls === 0 ? null : Math.round((state.cpuSeconds * 1e6) / calls),
        memory: {
          startup: state.startup,
          idle: state.idle,
          afterLoad: state.afterLoad,
          highWaterRssBytes: Math.max(
            (await processRss(state.server.pid)).rssHighWaterBytes,
            ...read,
            ...sampled,
          ),
        },
      });
    }
    const [bare, node] = sides as [FloorSide, FloorSide];
    return {
      rounds: options.rounds,
      roundMs: options.roundMs,
      startupMs: options.idleSettleMs,
      idleMs: options.idleMs,
      concurrency: options.concurrency,
      sides,
      rssSeries: series,
      targets: targets(bare, node),
    };
  } finally {
    clearInterval(timer.handle);
    for (const state of states) state.caller.close();
    for (const server of servers.reverse()) await server.stop();
  }
}
