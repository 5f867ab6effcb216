import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { Command, InvalidArgumentError, Option } from "commander";
import { parse } from "yaml";
import { defaultInstances } from "../cloud-sim/config.js";
import { Contract } from "../cloud-sim/contract.js";
import { API_NAMES, type ApiName, type RateLimitOverride } from "../cloud-sim/faces/face.js";
import { faceFor } from "../cloud-sim/faces/faces.js";
import { type FaultConfig, ReferenceCloudStartError, startReferenceCloud } from "../cloud-sim/index.js";
import type { ReferenceCloudOptions } from "../cloud-sim/reference-cloud.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../observability/logger.js";
import { stopOnSignal } from "./exit.js";

const STARTUP_FAILURE = 2;

interface CloudOptions {
  api: ApiName;
  apiRateLimit?: RateLimitOverride;
  listen: string;
  dataDir: string;
  tokenFile?: string;
  byIdDir: string;
  latencyMs?: number;
  faults?: string;
  config?: string;
  instanceName?: string;
  localAttach: boolean;
  logLevel: LogLevel;
}

/** Keys a `--config` file may set (JSON or YAML); everything else comes from flags. */
const CONFIG_FILE_KEYS = [
  "zones",
  "volumeTypes",
  "defaultVolumeType",
  "instances",
  "poolCapacityBytes",
  "quotas",
  "operationLatencyMs",
] as const;

/** `ballast cloud`: the reference cloud server over sparse files and loop devices. */
export function cloudCommand(): Command {
  return new Command("cloud")
    .description(
      "Serve the reference block-storage cloud on this machine, speaking Ballast's API (openapi/block-storage.v1.yaml) or DigitalOcean's or Hetzner Cloud's",
    )
    .addOption(
      new Option("--api <name>", "the API to serve")
        .choices(API_NAMES)
        .default("ballast")
        .env("BALLAST_CLOUD_API"),
    )
    .addOption(
      new Option(
        "--api-rate-limit <requests/seconds|off>",
        "the digitalocean or hetzner API's request budget instead of the real one (e.g. 1000/60, or off)",
      )
        .argParser(rateLimit())
        .env("BALLAST_CLOUD_API_RATE_LIMIT"),
    )
    .addOption(
      new Option("--listen <host:port>", "address to listen on")
        .default("127.0.0.1:8787")
        .env("BALLAST_LISTEN"),
    )
    .addOption(
      new Option("--data-dir <dir>", "state file and sparse volume files")
        .env("BALLAST_DATA_DIR")
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        "--token-file <file>",
        "accepted bearer tokens, one per line (also BALLAST_CLOUD_TOKEN; default ballast-dev-token)",
      ).env("BALLAST_TOKEN_FILE"),
    )
    .addOption(
      new Option(
        "--by-id-dir <dir>",
        "where by-id links to loop devices go (virtio-<id>, scsi-0DO_Volume_<name> or scsi-0HC_Volume_<id>)",
      )
        .default("/dev/disk/by-id")
        .env("BALLAST_BY_ID_DIR"),
    )
    .addOption(
      new Option("--latency-ms <ms>", "duration of every asynchronous operation (default 100)")
        .argParser(nonNegativeInteger())
        .env("BALLAST_LATENCY_MS"),
    )
    .addOption(
      new Option("--faults <file>", "fault rules at start (JSON or YAML FaultConfig)").env("BALLAST_FAULTS"),
    )
    .addOption(
      new Option(
        "--config <file>",
        `zones, volume types, instances, quotas (JSON or YAML: ${CONFIG_FILE_KEYS.join(", ")})`,
      ).env("BALLAST_CONFIG"),
    )
    .addOption(
      new Option(
        "--instance-name <name>",
        "name of the instance that stands for this machine (default: host name)",
      ).env("BALLAST_INSTANCE_NAME"),
    )
    .addOption(
      new Option("--no-local-attach", "serve without loop devices (attaching to this machine is refused)"),
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(LOG_LEVELS)
        .default("info")
        .env("BALLAST_LOG_LEVEL"),
    )
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : STARTUP_FAILURE);
    })
    .action(async (options: CloudOptions) => {
      const logger = createLogger(options.logLevel);
      try {
        const config = await buildConfig(options, process.env.BALLAST_CLOUD_TOKEN);
        const cloud = await startReferenceCloud({ ...config, logger });
        stopOnSignal(() => cloud.close());
      } catch (error) {
        const message =
          error instanceof ReferenceCloudStartError || error instanceof StartupError
            ? error.message
            : `cannot start: ${(error as Error).message}`;
        process.stderr.write(`ballast cloud: ${message}\n`);
        process.exit(STARTUP_FAILURE);
      }
    });
}

class StartupError extends Error {}

async function buildConfig(
  options: CloudOptions,
  envToken: string | undefined,
): Promise<ReferenceCloudOptions> {
  const { host, port } = parseListen(options.listen);
  const tokens = [
    ...(envToken === undefined ? [] : envToken.split(",").map((t) => t.trim())),
    ...(options.tokenFile === undefined
      ? []
      : (await readText(options.tokenFile, "--token-file")).split("\n")),
  ]
    .map((t) => t.trim())
    .filter((t) => t !== "" && !t.startsWith("#"));
  const fileConfig = options.config === undefined ? {} : await readConfigFile(options.config);
  const faults = options.faults === undefined ? undefined : await readFaults(options.faults);
  const zones = fileConfig.zones ?? faceFor(options.api).defaultZones;
  const instances =
    fileConfig.instances ??
    defaultInstances(zones).map((instance) =>
      instance.local === true ? { ...instance, name: options.instanceName ?? hostname() } : instance,
    );
  return {
    ...fileConfig,
    api: options.api,
    ...(options.apiRateLimit === undefined ? {} : { apiRateLimit: options.apiRateLimit }),
    host,
    port,
    dataDir: options.dataDir,
    ...(tokens.length === 0 ? {} : { tokens }),
    byIdDir: options.byIdDir,
    instances,
    ...(options.latencyMs === undefined ? {} : { operationLatencyMs: options.latencyMs }),
    ...(faults === undefined ? {} : { faults }),
    localAttach: options.localAttach,
  };
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  if (match === null || match[1] === "" || port > 65535) {
    throw new StartupError(`--listen: ${JSON.stringify(listen)} is not host:port (e.g. 127.0.0.1:8787)`);
  }
  return { host: match[1] as string, port };
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new StartupError(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readStructured(path: string, flag: string): Promise<unknown> {
  try {
    return parse(await readText(path, flag));
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(`${flag}: ${path} is not valid JSON or YAML: ${(error as Error).message}`);
  }
}

async function readConfigFile(path: string): Promise<Partial<ReferenceCloudOptions>> {
  const value = await readStructured(path, "--config");
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new StartupError(`--config: ${path} must hold an object`);
  }
  const unknown = Object.keys(value).filter((k) => !(CONFIG_FILE_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new StartupError(
      `--config: ${path} has unknown keys ${unknown.join(", ")} (known: ${CONFIG_FILE_KEYS.join(", ")})`,
    );
  }
  const contract = Contract.load();
  const config = value as Partial<ReferenceCloudOptions>;
  const problems = [
    ...(config.zones ?? []).flatMap((zone, i) =>
      contract.check("Zone", zone).map((v) => `zones[${i}]${v.pointer} ${v.message}`),
    ),
    ...(config.volumeTypes ?? []).flatMap((type, i) =>
      contract.check("VolumeType", type).map((v) => `volumeTypes[${i}]${v.pointer} ${v.message}`),
    ),
  ];
  if (problems.length > 0) throw new StartupError(`--config: ${path}: ${problems.join("; ")}`);
  return config;
}

async function readFaults(path: string): Promise<FaultConfig> {
  const value = await readStructured(path, "--faults");
  const problems = Contract.load().check("FaultConfig", value);
  if (problems.length > 0) {
    throw new StartupError(
      `--faults: ${path}: ${problems.map((v) => `${v.pointer} ${v.message}`).join("; ")}`,
    );
  }
  return value as FaultConfig;
}

function rateLimit(): (value: string) => RateLimitOverride {
  return (value) => {
    if (value === "off") return false;
    const match = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(value);
    if (match === null) {
      throw new InvalidArgumentError(
        `${JSON.stringify(value)} is not <requests>/<seconds> (e.g. 250/60) or off`,
      );
    }
    return { requests: Number(match[1]), perSeconds: Number(match[2]) };
  };
}

function nonNegativeInteger(): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < 0) {
      throw new InvalidArgumentError(`${JSON.stringify(value)} is not a non-negative integer`);
    }
    return parsed;
  };
}
