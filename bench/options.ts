import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { PROVIDER_NAMES, type ProviderName } from "../src/providers/provider.js";
import type { CsiClientKind } from "./harness/provisioning-calls.js";

export const SCENARIOS = ["storm", "economy", "latency", "grpc", "memory", "node", "floor"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  /**
   * The APIs the storm and the API economy run against: ballast's, and the reference cloud's
   * faces of the other providers (driver started with `--cloud-provider <p>`).
   */
  cloudProviders: ProviderName[];
  /** Scenario 1: volumes created and published, and how many at once. */
  volumes: number;
  concurrency: number;
  /** How long every asynchronous cloud operation takes. */
  latencyMs: number;
  /** Client-side rate limit of the cloud API, the same for the driver and the direct client. */
  qps: number;
  burst: number;
  /** API-only instances the storm's attachments are spread over. */
  instances: number;
  /** Scenario 2: volumes per waiting strategy, and how many at once. */
  economyVolumes: number;
  economyConcurrency: number;
  /** Scenario 3: sequential pairs per RPC. */
  latencySamples: number;
  /** Scenario 4. */
  grpcSeconds: number;
  grpcConcurrency: number;
  /** Scenario 6. */
  nodeIterations: number;
  fsType: "ext4" | "xfs";
  /** Scenario 7: rounds per server and seconds per round (at --grpc-concurrency). */
  floorRounds: number;
  floorSeconds: number;
  /** Scenario 7: seconds after start of the idle memory reading. */
  floorIdleSeconds: number;
  /** Scenario 7: another checkout's build measured in the same rounds (before and after). */
  floorBaseline?: string | undefined;
  /**
   * The built checkout whose `bin/ballast` (with its Dockerfile's node flags) the storm, economy,
   * added-latency, raw-gRPC, memory and node-path scenarios start; this one unless set. The
   * harness, the reference cloud and the direct side stay this checkout's, so a run against an
   * older build and one against this build differ only in the driver.
   */
  driverCheckout?: string | undefined;
  /** How long the driver sits idle after start before the idle memory reading. */
  idleSettleMs: number;
  /** The driver's --log-level: info is the production default and part of what is measured. */
  driverLogLevel: string;
  /** The storm's CSI client on the driver side: grpc-js, or the light HTTP/2 one. */
  stormCsiClient: CsiClientKind;
  /** Scenario 1: how many times the storm runs (fresh clouds and driver each time). */
  stormRounds: number;
  /** Where the `ballast all` drivers write V8 CPU profiles (`--cpu-prof-dir`); none unless set. */
  driverCpuProfileDir?: string | undefined;
  /** Where the JSON result goes. */
  outDir: string;
  /** Keep the work directory (cloud and driver logs, state) after the run. */
  keep: boolean;
}

export const DEFAULT_OPTIONS: Omit<BenchOptions, "outDir"> = {
  scenarios: [...SCENARIOS],
  cloudProviders: ["ballast"],
  volumes: 1000,
  concurrency: 100,
  latencyMs: 50,
  qps: 200,
  burst: 100,
  instances: 10,
  economyVolumes: 100,
  economyConcurrency: 20,
  latencySamples: 100,
  grpcSeconds: 10,
  grpcConcurrency: 32,
  nodeIterations: 10,
  fsType: "ext4",
  floorRounds: 6,
  floorSeconds: 5,
  floorIdleSeconds: 30,
  idleSettleMs: 2_000,
  driverLogLevel: "info",
  stormCsiClient: "grpc-js",
  stormRounds: 1,
  keep: false,
};

/** The smoke preset (`--smoke`, and the CI test): every scenario on every API, tiny, in seconds. */
export const SMOKE_OPTIONS: Omit<BenchOptions, "outDir"> = {
  ...DEFAULT_OPTIONS,
  cloudProviders: [...PROVIDER_NAMES],
  volumes: 12,
  concurrency: 4,
  instances: 3,
  economyVolumes: 4,
  economyConcurrency: 2,
  latencySamples: 3,
  grpcSeconds: 0.5,
  grpcConcurrency: 4,
  nodeIterations: 1,
  floorRounds: 2,
  floorSeconds: 0.5,
  floorIdleSeconds: 1,
  idleSettleMs: 200,
};

export const USAGE = `Usage: npm run bench -- [options]

  --scenarios <list>        comma-separated: ${SCENARIOS.join(",")} (default: all)
  --smoke                   tiny preset of every figure (what the CI test runs)
  --cloud-provider <list>   storm and economy: comma-separated ${PROVIDER_NAMES.join(",")}, or all (default ballast)
  --volumes <n>             storm: volumes created and published (default ${DEFAULT_OPTIONS.volumes})
  --concurrency <n>         storm: RPCs in flight (default ${DEFAULT_OPTIONS.concurrency})
  --latency-ms <ms>         cloud operation latency (default ${DEFAULT_OPTIONS.latencyMs})
  --qps <n>                 cloud API rate limit, driver and direct client alike (default ${DEFAULT_OPTIONS.qps})
  --burst <n>               rate limiter burst (default ${DEFAULT_OPTIONS.burst})
  --instances <n>           storm: API-only instances to attach to (default ${DEFAULT_OPTIONS.instances})
  --economy-volumes <n>     API economy: volumes per waiting strategy (default ${DEFAULT_OPTIONS.economyVolumes})
  --economy-concurrency <n> API economy: calls in flight (default ${DEFAULT_OPTIONS.economyConcurrency})
  --latency-samples <n>     added latency: sequential pairs per RPC (default ${DEFAULT_OPTIONS.latencySamples})
  --grpc-seconds <s>        raw gRPC: seconds per RPC (default ${DEFAULT_OPTIONS.grpcSeconds})
  --grpc-concurrency <n>    raw gRPC: calls in flight (default ${DEFAULT_OPTIONS.grpcConcurrency})
  --node-iterations <n>     node path: stage/publish/unpublish/unstage rounds (default ${DEFAULT_OPTIONS.nodeIterations})
  --fs-type <ext4|xfs>      node path filesystem (default ${DEFAULT_OPTIONS.fsType})
  --floor-rounds <n>        node vs floor: rounds per server (default ${DEFAULT_OPTIONS.floorRounds})
  --floor-seconds <s>       node vs floor: seconds per round and server (default ${DEFAULT_OPTIONS.floorSeconds})
  --floor-idle-seconds <s>  node vs floor: idle reading this long after start (default ${DEFAULT_OPTIONS.floorIdleSeconds})
  --floor-baseline <dir>    node vs floor: also measure the ballast build in this checkout
  --driver-checkout <dir>   scenarios 1-6 start the driver built in this checkout (before/after runs)
  --driver-log-level <lvl>  the driver's --log-level (default info; debug shows its commands and API calls)
  --storm-csi-client <c>    storm: the driver side's CSI client, grpc-js or raw (a light HTTP/2 one) (default ${DEFAULT_OPTIONS.stormCsiClient})
  --storm-rounds <n>        storm: run it n times and judge the median wall-time ratio (default ${DEFAULT_OPTIONS.stormRounds})
  --driver-cpu-prof <dir>   every ballast all driver writes a V8 CPU profile (.cpuprofile) into <dir>
  --out <dir>               where the JSON result is written (default bench/results)
  --keep                    keep the work directory with the cloud and driver logs
  --help                    this text
`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

function positive(flag: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (
    value.trim() === "" ||
    !Number.isFinite(parsed) ||
    parsed <= 0 ||
    (integer && !Number.isInteger(parsed))
  ) {
    throw new UsageError(`--${flag}: "${value}" is not a positive ${integer ? "whole " : ""}number`);
  }
  return parsed;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function logLevel(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!LOG_LEVELS.includes(value)) {
    throw new UsageError(`--driver-log-level: "${value}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  return value;
}

function csiClient(value: string | undefined, fallback: CsiClientKind): CsiClientKind {
  if (value === undefined) return fallback;
  if (value !== "grpc-js" && value !== "raw") {
    throw new UsageError(`--storm-csi-client: "${value}" is not grpc-js or raw`);
  }
  return value;
}

function providerList(value: string | undefined, fallback: ProviderName[]): ProviderName[] {
  if (value === undefined) return fallback;
  if (value.trim() === "all") return [...PROVIDER_NAMES];
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--cloud-provider: "${name}" is not one of ${PROVIDER_NAMES.join(", ")}, all`);
    }
  }
  return [...new Set(names as ProviderName[])];
}

/**
 * Another ballast checkout, resolved from where the bench was started: it must be built, since
 * the bench runs its `bin/ballast`, which loads `dist/`.
 */
function builtCheckout(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const dir = resolve(value);
  for (const file of ["bin/ballast", "dist/cli/main.js"]) {
    if (!existsSync(join(dir, file))) {
      throw new UsageError(
        `--${flag}: ${JSON.stringify(dir)} has no ${file}; give a ballast checkout after npm ci (which builds dist/)`,
      );
    }
  }
  return dir;
}

function scenarioList(value: string | undefined, fallback: ScenarioName[]): ScenarioName[] {
  if (value === undefined) return fallback;
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new UsageError(`--scenarios: "${name}" is not one of ${SCENARIOS.join(", ")}`);
    }
  }
  return names as ScenarioName[];
}

/** Parses the command line; `undefined` means --help was asked for. */
export function parseBenchArgs(argv: string[], defaultOutDir: string): BenchOptions | undefined {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help === true) return undefined;
  const base = values.smoke === true ? SMOKE_OPTIONS : DEFAULT_OPTIONS;
  const fsType = values["fs-type"] ?? base.fsType;
  if (fsType !== "ext4" && fsType !== "xfs")
    throw new UsageError(`--fs-type: "${fsType}" is not ext4 or xfs`);
  return {
    scenarios: scenarioList(values.scenarios, base.scenarios),
    cloudProviders: providerList(values["cloud-provider"], base.cloudProviders),
    volumes: positive("volumes", values.volumes, base.volumes),
    concurrency: positive("concurrency", values.concurrency, base.concurrency),
    latencyMs: positive("latency-ms", values["latency-ms"], base.latencyMs),
    qps: positive("qps", values.qps, base.qps, false),
    burst: positive("burst", values.burst, base.burst),
    instances: positive("instances", values.instances, base.instances),
    economyVolumes: positive("economy-volumes", values["economy-volumes"], base.economyVolumes),
    economyConcurrency: positive(
      "economy-concurrency",
      values["economy-concurrency"],
      base.economyConcurrency,
    ),
    latencySamples: positive("latency-samples", values["latency-samples"], base.latencySamples),
    grpcSeconds: positive("grpc-seconds", values["grpc-seconds"], base.grpcSeconds, false),
    grpcConcurrency: positive("grpc-concurrency", values["grpc-concurrency"], base.grpcConcurrency),
    nodeIterations: positive("node-iterations", values["node-iterations"], base.nodeIterations),
    fsType,
    floorRounds: positive("floor-rounds", values["floor-rounds"], base.floorRounds),
    floorSeconds: positive("floor-seconds", values["floor-seconds"], base.floorSeconds, false),
    floorIdleSeconds: positive(
      "floor-idle-seconds",
      values["floor-idle-seconds"],
      base.floorIdleSeconds,
      false,
    ),
    floorBaseline: builtCheckout("floor-baseline", values["floor-baseline"]),
    driverCheckout: builtCheckout("driver-checkout", values["driver-checkout"]),
    idleSettleMs: base.idleSettleMs,
    driverLogLevel: logLevel(values["driver-log-level"], base.driverLogLevel),
    stormCsiClient: csiClient(values["storm-csi-client"], base.stormCsiClient),
    stormRounds: positive("storm-rounds", values["storm-rounds"], base.stormRounds),
    driverCpuProfileDir:
      values["driver-cpu-prof"] === undefined ? undefined : resolve(values["driver-cpu-prof"]),
    outDir: values.out ?? defaultOutDir,
    keep: values.keep === true,
  };
}

function parse(argv: string[]) {
  const text = { type: "string" } as const;
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      scenarios: text,
      smoke: { type: "boolean" },
      "cloud-provider": text,
      volumes: text,
      concurrency: text,
      "latency-ms": text,
      qps: text,
      burst: text,
      instances: text,
      "economy-volumes": text,
      "economy-concurrency": text,
      "latency-samples": text,
      "grpc-seconds": text,
      "grpc-concurrency": text,
      "node-iterations": text,
      "fs-type": text,
      "floor-rounds": text,
      "floor-seconds": text,
      "floor-idle-seconds": text,
      "floor-baseline": text,
      "driver-checkout": text,
      "driver-log-level": text,
      "driver-cpu-prof": text,
      "storm-csi-client": text,
      "storm-rounds": text,
      out: text,
      keep: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
}
