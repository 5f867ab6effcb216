import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProviderName } from "../src/providers/provider.js";
import { BENCH_FACES, type BenchFace } from "./harness/faces.js";
import { describeMachine, type MachineDescription } from "./harness/machine.js";
import { nodePathUnavailableReason } from "./harness/root-check.js";
import type { BenchOptions, ScenarioName } from "./options.js";
import { type AddedLatencyResult, runAddedLatency } from "./scenarios/added-latency.js";
import { type EconomyResult, runApiEconomy } from "./scenarios/api-economy.js";
import { type GrpcThroughputResult, runGrpcThroughput } from "./scenarios/grpc-throughput.js";
import { type NodeFloorResult, runNodeFloor } from "./scenarios/node-floor.js";
import { type NodePathResult, runNodePath } from "./scenarios/node-path.js";
import type { StormResult } from "./scenarios/provisioning-storm.js";
import type { ScenarioRun } from "./scenarios/scenario-run.js";
import { runStormRounds } from "./scenarios/storm-rounds.js";

export type ScenarioOutcome<T> =
  | { status: "ok"; durationMs: number; figures: T }
  | { status: "skipped"; reason: string }
  | { status: "failed"; durationMs: number; error: string };

/** The storm and the API economy on another provider's face of the reference cloud. */
export interface FaceRuns {
  storm?: ScenarioOutcome<Omit<StormResult, "memory">>;
  economy?: ScenarioOutcome<EconomyResult>;
}

export type FaceName = Exclude<ProviderName, "ballast">;

export interface BenchReport {
  startedAt: string;
  durationMs: number;
  machine: MachineDescription;
  options: Omit<BenchOptions, "outDir" | "keep">;
  /** Holds the cloud and driver logs when the run was kept or a scenario failed. */
  workDir: string;
  scenarios: {
    storm?: ScenarioOutcome<Omit<StormResult, "memory">>;
    economy?: ScenarioOutcome<EconomyResult>;
    latency?: ScenarioOutcome<AddedLatencyResult>;
    grpc?: ScenarioOutcome<GrpcThroughputResult>;
    memory?: ScenarioOutcome<StormResult["memory"]>;
    node?: ScenarioOutcome<NodePathResult>;
    floor?: ScenarioOutcome<NodeFloorResult>;
  };
  /** `--cloud-provider` runs on the DigitalOcean and Hetzner faces, by provider. */
  faces: Partial<Record<FaceName, FaceRuns>>;
}

export interface BenchHooks {
  repoRoot: string;
  /** Progress lines (stderr in the CLI). */
  progress: (line: string) => void;
}

async function attempt<T>(work: () => Promise<T>): Promise<ScenarioOutcome<T>> {
  const started = Date.now();
  try {
    const figures = await work();
    return { status: "ok", durationMs: Date.now() - started, figures };
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { status: "failed", durationMs: Date.now() - started, error: text };
  }
}

/** The scenarios that failed (the CLI then exits non-zero and keeps the work directory). */
export function failedScenarios(report: BenchReport): string[] {
  const failed = (entries: [string, ScenarioOutcome<unknown>][]) =>
    entries.filter(([, outcome]) => outcome.status === "failed").map(([name]) => name);
  return [
    ...failed(Object.entries(report.scenarios)),
    ...Object.entries(report.faces).flatMap(([provider, runs]) =>
      failed(Object.entries(runs)).map((name) => `${name} (${provider})`),
    ),
  ];
}

/** The storm as the options ask for it (volumes, rounds, CSI client), in `<workDir>/storm`. */
function runStorm(options: BenchOptions, run: ScenarioRun, face?: BenchFace): Promise<StormResult> {
  return runStormRounds(
    {
      ...run,
      ...(face === undefined ? {} : { face }),
      volumes: options.volumes,
      concurrency: options.concurrency,
      instances: options.instances,
      idleSettleMs: options.idleSettleMs,
      csiClient: options.stormCsiClient,
      workDir: join(run.workDir, "storm"),
    },
    options.stormRounds,
  );
}

/** The storm and the API economy, as selected, on one provider's face of the reference cloud. */
async function runFace(
  provider: FaceName,
  options: BenchOptions,
  hooks: BenchHooks,
  common: ScenarioRun,
): Promise<FaceRuns> {
  const face = BENCH_FACES[provider];
  const runs: FaceRuns = {};
  if (options.scenarios.includes("storm")) {
    hooks.progress(
      `storm on ${provider}: ${options.volumes} x (CreateVolume + ControllerPublishVolume) at concurrency ${options.concurrency}, direct (adapter) then driver`,
    );
    runs.storm = await attempt(async () => {
      const { memory: _memory, ...figures } = await runStorm(options, common, face);
      return figures;
    });
  }
  if (options.scenarios.includes("economy")) {
    hooks.progress(`economy on ${provider}: ${options.economyVolumes} volumes, driver then direct (adapter)`);
    runs.economy = await attempt(() =>
      runApiEconomy({
        ...common,
        face,
        volumes: options.economyVolumes,
        concurrency: options.economyConcurrency,
        workDir: join(common.workDir, "economy"),
      }),
    );
  }
  return runs;
}

/**
 * Runs the selected scenarios one after another (never side by side: each one's figures would
 * eat the other's CPU) in a fresh work directory, and reports every figure. A failed scenario is
 * recorded and the rest still run.
 */
export async function runBench(options: BenchOptions, hooks: BenchHooks): Promise<BenchReport> {
  const started = Date.now();
  const workDir = await mkdtemp(join(tmpdir(), "ballast-bench-"));
  const { outDir: _outDir, keep: _keep, ...recorded } = options;
  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    machine: describeMachine(),
    options: recorded,
    workDir,
    scenarios: {},
    faces: {},
  };
  const wants = (name: ScenarioName) => options.scenarios.includes(name);
  const common = {
    latencyMs: options.latencyMs,
    qps: options.qps,
    burst: options.burst,
    driverLogLevel: options.driverLogLevel,
    driverCpuProfileDir: options.driverCpuProfileDir,
    repoRoot: hooks.repoRoot,
    driverRoot: options.driverCheckout ?? hooks.repoRoot,
  };

  const onBallast = options.cloudProviders.includes("ballast");
  if ((wants("storm") && onBallast) || wants("memory")) {
    hooks.progress(
      `storm: ${options.volumes} x (CreateVolume + ControllerPublishVolume) at concurrency ${options.concurrency}, direct then driver`,
    );
    const storm = await attempt(() => runStorm(options, { ...common, workDir }));
    if (storm.status === "ok") {
      const { memory, ...figures } = storm.figures;
      if (wants("storm") && onBallast) report.scenarios.storm = { ...storm, figures };
      if (wants("memory")) report.scenarios.memory = { ...storm, figures: memory };
    } else {
      if (wants("storm") && onBallast) report.scenarios.storm = storm;
      if (wants("memory")) report.scenarios.memory = storm;
    }
  }
  if (wants("economy") && onBallast) {
    hooks.progress(`economy: ${options.economyVolumes} volumes per waiting strategy`);
    report.scenarios.economy = await attempt(() =>
      runApiEconomy({
        ...common,
        volumes: options.economyVolumes,
        concurrency: options.economyConcurrency,
        workDir: join(workDir, "economy"),
      }),
    );
  }
  for (const provider of options.cloudProviders) {
    if (provider === "ballast") continue;
    const runs = await runFace(provider, options, hooks, { ...common, workDir: join(workDir, provider) });
    if (Object.keys(runs).length > 0) report.faces[provider] = runs;
  }
  if (wants("latency")) {
    hooks.progress(`latency: ${options.latencySamples} sequential pairs per RPC`);
    report.scenarios.latency = await attempt(() =>
      runAddedLatency({ ...common, samples: options.latencySamples, workDir: join(workDir, "latency") }),
    );
  }
  if (wants("grpc")) {
    hooks.progress(`grpc: ${options.grpcSeconds} s per RPC at concurrency ${options.grpcConcurrency}`);
    report.scenarios.grpc = await attempt(() =>
      runGrpcThroughput({
        ...common,
        durationMs: options.grpcSeconds * 1000,
        concurrency: options.grpcConcurrency,
        workDir: join(workDir, "grpc"),
      }),
    );
  }
  if (wants("node")) {
    const reason = await nodePathUnavailableReason();
    if (reason !== undefined) {
      report.scenarios.node = { status: "skipped", reason };
    } else {
      hooks.progress(
        `node: ${options.nodeIterations} rounds of stage/publish/unpublish/unstage on ${options.fsType}`,
      );
      report.scenarios.node = await attempt(() =>
        runNodePath({
          ...common,
          iterations: options.nodeIterations,
          fsType: options.fsType,
          workDir: join(workDir, "node"),
        }),
      );
    }
  }
  if (wants("floor")) {
    hooks.progress(
      `floor: ballast node vs bare grpc-js${options.floorBaseline ? ` vs ${options.floorBaseline}` : ""}, ${options.floorRounds} rounds of ${options.floorSeconds} s each at concurrency ${options.grpcConcurrency}`,
    );
    report.scenarios.floor = await attempt(() =>
      runNodeFloor({
        rounds: options.floorRounds,
        roundMs: options.floorSeconds * 1000,
        concurrency: options.grpcConcurrency,
        idleSettleMs: options.idleSettleMs,
        idleMs: options.floorIdleSeconds * 1000,
        driverLogLevel: options.driverLogLevel,
        workDir: join(workDir, "floor"),
        repoRoot: hooks.repoRoot,
        baselineRepo: options.floorBaseline,
      }),
    );
  }
  report.durationMs = Date.now() - started;
  if (!options.keep && failedScenarios(report).length === 0)
    await rm(workDir, { recursive: true, force: true });
  return report;
}
