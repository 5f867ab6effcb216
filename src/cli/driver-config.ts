import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { hostname } from "node:os";
import { type Endpoint, parseEndpoint } from "../csi/endpoint.js";
import { parseListenAddress } from "../observability/listen-address.js";
import { LOG_LEVELS, type LogLevel } from "../observability/logger.js";
import type { ProviderName } from "../providers/provider.js";
import { parseProviderName } from "../providers/registry.js";
import { invalidArgument } from "../shared/errors.js";
import { DEFAULT_ENDPOINT, type DriverMode, envName, type RawDriverOptions } from "./driver-options.js";

export interface CloudConfig {
  url: string;
  /** A file re-read on change, or the token itself (from BALLAST_CLOUD_TOKEN). */
  token: { file: string } | { value: string };
  caFile?: string | undefined;
  /** Undefined: the provider's default, which stays under its account limits. */
  qps?: number | undefined;
  burst?: number | undefined;
}

export interface NodeConfig {
  nodeId?: string | undefined;
  /** The provider's metadata service, when not at its own address (`--metadata-url`). */
  metadataUrl?: string | undefined;
  nodeName: string;
  byIdDir: string;
  stateDir: string;
  maxVolumesPerNode?: number | undefined;
  deviceWaitMs: number;
  /** Undefined reports it (the default). */
  reportStandardZoneKey?: boolean | undefined;
}

export interface DriverConfig {
  mode: DriverMode;
  endpoint: Endpoint;
  driverName: string;
  /** The cloud behind the driver; `ballast` when unset. */
  provider?: ProviderName | undefined;
  /** Absent only for a node whose identity (id, zone, attach limit) is given entirely by flags. */
  cloud?: CloudConfig | undefined;
  zone?: string | undefined;
  /**
   * The provider's metadata service, when not at its own address (`--metadata-url`): a controller
   * without `--zone` asks it for its own zone.
   */
  metadataUrl?: string | undefined;
  defaultVolumeType: string;
  logLevel: LogLevel;
  metricsAddress?: string | undefined;
  drainTimeoutMs: number;
  node?: NodeConfig | undefined;
}

/** The process environment the CLI reads; passed in so tests need not touch process.env. */
export type Environment = Record<string, string | undefined>;

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw invalidArgument(`${flag}: "${value}" is not a positive number`);
  }
  return n;
}

function positiveInteger(flag: string, value: string): number {
  const n = positiveNumber(flag, value);
  if (!Number.isInteger(n)) throw invalidArgument(`${flag}: "${value}" is not a whole number`);
  return n;
}

function booleanFlag(flag: string, value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalidArgument(`${flag}: "${value}" is not true or false`);
}

/**
 * A string flag's value, refused when blank: an empty value (often a manifest's variable that
 * expanded to nothing) would otherwise pass for a given one. Commander fills the flag from its
 * variable, so a value equal to the variable's came from there, and the message says so.
 */
export function nonEmpty<T extends string | undefined>(
  flag: string,
  value: T,
  env: Environment,
  variable = envName(flag),
): T {
  if (value === undefined || value.trim() !== "") return value;
  const from = env[variable] === value ? ` (from ${variable})` : "";
  throw invalidArgument(`${flag}: must not be empty${from}`);
}

async function readable(flag: string, path: string): Promise<string> {
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    throw invalidArgument(`${flag}: ${path} is not readable (${(error as NodeJS.ErrnoException).code})`);
  }
  return path;
}

function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(`${flag}: "${value}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidArgument(`${flag}: "${value}" must be http:// or https://`);
  }
  return value;
}

/**
 * Turns flags (with their environment fallbacks) into a validated config, or throws one
 * InvalidArgument whose message is the single line the CLI prints before exiting 2.
 */
export async function resolveDriverConfig(
  mode: DriverMode,
  raw: RawDriverOptions,
  env: Environment,
): Promise<DriverConfig> {
  if (!(LOG_LEVELS as readonly string[]).includes(raw.logLevel)) {
    throw invalidArgument(`--log-level: "${raw.logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  const endpoint = parseEndpoint(raw.endpoint ?? env.CSI_ENDPOINT ?? DEFAULT_ENDPOINT);
  if (raw.metricsAddress !== undefined) parseListenAddress(raw.metricsAddress);
  const metadataUrl = raw.metadataUrl === undefined ? undefined : httpUrl("--metadata-url", raw.metadataUrl);
  const config: DriverConfig = {
    mode,
    endpoint,
    driverName: nonEmpty("--driver-name", raw.driverName, env),
    provider: parseProviderName("--cloud-provider", raw.cloudProvider ?? "ballast"),
    zone: nonEmpty("--zone", raw.zone, env),
    metadataUrl,
    defaultVolumeType: nonEmpty("--default-volume-type", raw.defaultVolumeType, env) ?? "balanced",
    logLevel: raw.logLevel as LogLevel,
    metricsAddress: raw.metricsAddress,
    drainTimeoutMs: positiveNumber("--drain-timeout", raw.drainTimeout) * 1000,
  };
  if (mode !== "controller") {
    config.node = {
      nodeId: nonEmpty("--node-id", raw.nodeId, env),
      metadataUrl,
      nodeName:
        nonEmpty("--node-name", raw.nodeName, env) ??
        nonEmpty("--node-name", env.NODE_NAME, env, "NODE_NAME") ??
        hostname(),
      byIdDir: nonEmpty("--by-id-dir", raw.byIdDir, env) ?? "/dev/disk/by-id",
      stateDir: nonEmpty("--state-dir", raw.stateDir, env) ?? "/var/lib/ballast-csi",
      maxVolumesPerNode:
        raw.maxVolumesPerNode === undefined
          ? undefined
          : positiveInteger("--max-volumes-per-node", raw.maxVolumesPerNode),
      deviceWaitMs: positiveNumber("--device-wait", raw.deviceWait ?? "30") * 1000,
      reportStandardZoneKey: booleanFlag("--report-standard-zone-key", raw.reportStandardZoneKey ?? "true"),
    };
  }
  const nodeKnowsItself =
    config.node?.nodeId !== undefined &&
    config.zone !== undefined &&
    config.node.maxVolumesPerNode !== undefined;
  const cloudGiven = raw.cloudUrl !== undefined || raw.cloudTokenFile !== undefined;
  if (mode !== "node" || !nodeKnowsItself || cloudGiven) {
    const why =
      mode === "node"
        ? " in node mode unless --node-id, --zone and --max-volumes-per-node are all given"
        : "";
    config.cloud = await resolveCloudConfig(raw, env, why);
  }
  return config;
}

async function resolveCloudConfig(
  raw: RawDriverOptions,
  env: Environment,
  why: string,
): Promise<CloudConfig> {
  if (raw.cloudUrl === undefined || raw.cloudUrl === "") {
    throw invalidArgument(`--cloud-url: is required${why} (or BALLAST_CLOUD_URL)`);
  }
  const url = httpUrl("--cloud-url", raw.cloudUrl);
  const envToken = env.BALLAST_CLOUD_TOKEN;
  let token: CloudConfig["token"];
  if (raw.cloudTokenFile !== undefined)
    token = { file: await readable("--cloud-token-file", raw.cloudTokenFile) };
  else if (envToken !== undefined && envToken.trim() !== "") token = { value: envToken.trim() };
  else throw invalidArgument(`--cloud-token-file: is required${why} (or the token in BALLAST_CLOUD_TOKEN)`);
  const caFile =
    raw.cloudCaFile === undefined ? undefined : await readable("--cloud-ca-file", raw.cloudCaFile);
  return {
    url,
    token,
    caFile,
    qps: raw.cloudQps === undefined ? undefined : positiveNumber("--cloud-qps", raw.cloudQps),
    burst: raw.cloudBurst === undefined ? undefined : positiveInteger("--cloud-burst", raw.cloudBurst),
  };
}
