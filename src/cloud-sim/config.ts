import { hostname } from "node:os";
import { resolve } from "node:path";
import type { components } from "../generated/block-storage.v1.js";
import type { Logger } from "../observability/logger.js";

export type Zone = components["schemas"]["Zone"];
export type VolumeType = components["schemas"]["VolumeType"];
export type FaultConfig = components["schemas"]["FaultConfig"];
export type OperationKind = components["schemas"]["OperationKind"];

export interface InstanceConfig {
  /** Fixed id; when absent an id is made on first start and kept in the state file. */
  id?: string;
  name: string;
  zone: string;
  maxAttachedVolumes: number;
  /** This machine: attachments make loop devices and by-id links. Exactly one instance is local. */
  local?: boolean;
}

export interface Quotas {
  maxVolumes: number;
  maxSnapshots: number;
  /** Sum of the sizes of all volumes. */
  maxVolumeBytes: number;
}

export interface ReferenceCloudConfig {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (ephemeral). */
  port?: number;
  /** Where state.json and the sparse volume and snapshot files live; relative to the working directory. */
  dataDir: string;
  /** Accepted bearer tokens; default [DEFAULT_TOKEN]. */
  tokens?: string[];
  zones?: Zone[];
  volumeTypes?: VolumeType[];
  /** Type of volumes created without one; default `balanced` (or the first type). */
  defaultVolumeType?: string;
  /** Instances; default: this machine in the first zone plus one API-only instance in each other zone. */
  instances?: InstanceConfig[];
  /** Provisionable bytes per zone and volume type. */
  poolCapacityBytes?: number;
  quotas?: Partial<Quotas>;
  /** Directory of the `virtio-<serial>` links; default /dev/disk/by-id. */
  byIdDir?: string;
  /** How long asynchronous operations take, in ms: one number or per operation kind; default 100. */
  operationLatencyMs?: number | Partial<Record<OperationKind, number>>;
  /** Fault rules in force at start (also settable at run time through PUT /admin/faults). */
  faults?: FaultConfig;
  logger?: Logger;
  /**
   * Called when the server is about to send a response that breaks the contract (the response is
   * replaced by a 500). Tests use it to fail loudly.
   */
  onContractViolation?: (violation: ContractViolation) => void;
  /** Probe loop devices at start; set false to serve without local attach (tests of that path). */
  localAttach?: boolean;
}

export interface ContractViolation {
  operationId: string;
  status: number;
  message: string;
}

export const DEFAULT_TOKEN = "ballast-dev-token";
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

export const DEFAULT_ZONES: Zone[] = [
  { name: "ref-1a", region: "ref-1", status: "available" },
  { name: "ref-1b", region: "ref-1", status: "available" },
  { name: "ref-1c", region: "ref-1", status: "available" },
];

export const DEFAULT_VOLUME_TYPES: VolumeType[] = [
  {
    name: "standard",
    description: "Economy block storage with fixed baseline performance",
    minSizeBytes: GiB,
    maxSizeBytes: 16 * TiB,
    sizeGranularityBytes: GiB,
    supportsEncryption: true,
    multiAttach: false,
  },
  {
    name: "balanced",
    description: "General-purpose SSD with provisioned IOPS and throughput",
    minSizeBytes: GiB,
    maxSizeBytes: 16 * TiB,
    sizeGranularityBytes: GiB,
    iops: { min: 3000, max: 16000, default: 3000 },
    throughputMiBps: { min: 125, max: 1000, default: 125 },
    supportsEncryption: true,
    multiAttach: false,
  },
  {
    name: "performance",
    description: "Provisioned-IOPS SSD; may attach to several instances",
    minSizeBytes: 4 * GiB,
    maxSizeBytes: 64 * TiB,
    sizeGranularityBytes: GiB,
    iops: { min: 100, max: 256000, default: 10000 },
    throughputMiBps: { min: 125, max: 4000, default: 500 },
    supportsEncryption: true,
    multiAttach: true,
  },
];

export const DEFAULT_QUOTAS: Quotas = { maxVolumes: 1000, maxSnapshots: 1000, maxVolumeBytes: 1024 * TiB };
export const DEFAULT_POOL_CAPACITY_BYTES = 100 * TiB;
export const DEFAULT_OPERATION_LATENCY_MS = 100;
export const DEFAULT_LOCAL_MAX_ATTACHED = 16;
export const DEFAULT_REMOTE_MAX_ATTACHED = 8;

export function defaultInstances(zones: Zone[]): InstanceConfig[] {
  const [first, ...others] = zones;
  if (first === undefined) return [];
  return [
    { name: hostname(), zone: first.name, maxAttachedVolumes: DEFAULT_LOCAL_MAX_ATTACHED, local: true },
    ...others.map((zone) => ({
      name: `ref-node-${zone.name}`,
      zone: zone.name,
      maxAttachedVolumes: DEFAULT_REMOTE_MAX_ATTACHED,
    })),
  ];
}

/** The configuration with every default filled in and cross-checked. */
export interface ResolvedConfig {
  host: string;
  port: number;
  dataDir: string;
  tokens: string[];
  zones: Zone[];
  volumeTypes: VolumeType[];
  defaultVolumeType: string;
  instances: InstanceConfig[];
  poolCapacityBytes: number;
  quotas: Quotas;
  byIdDir: string;
  latencyMs: (kind: OperationKind) => number;
  faults: FaultConfig;
  localAttach: boolean;
}

export function resolveConfig(config: ReferenceCloudConfig): ResolvedConfig {
  const zones = config.zones ?? DEFAULT_ZONES;
  const volumeTypes = config.volumeTypes ?? DEFAULT_VOLUME_TYPES;
  const instances = config.instances ?? defaultInstances(zones);
  const zoneNames = new Set(zones.map((z) => z.name));
  if (zones.length === 0) throw new Error("config.zones: at least one zone is required");
  if (volumeTypes.length === 0) throw new Error("config.volumeTypes: at least one volume type is required");
  for (const instance of instances) {
    if (!zoneNames.has(instance.zone)) {
      throw new Error(`config.instances: instance ${instance.name} is in unknown zone ${instance.zone}`);
    }
  }
  if (instances.filter((i) => i.local === true).length > 1) {
    throw new Error("config.instances: at most one instance can be local");
  }
  const defaultVolumeType =
    config.defaultVolumeType ?? volumeTypes.find((t) => t.name === "balanced")?.name ?? volumeTypes[0]?.name;
  if (defaultVolumeType === undefined || !volumeTypes.some((t) => t.name === defaultVolumeType)) {
    throw new Error(`config.defaultVolumeType: ${String(defaultVolumeType)} is not a configured volume type`);
  }
  const latency = config.operationLatencyMs ?? DEFAULT_OPERATION_LATENCY_MS;
  return {
    host: config.host ?? "127.0.0.1",
    port: config.port ?? 0,
    // losetup reports absolute backing files: a relative path would never match a device of ours.
    dataDir: resolve(config.dataDir),
    tokens: config.tokens && config.tokens.length > 0 ? config.tokens : [DEFAULT_TOKEN],
    zones,
    volumeTypes,
    defaultVolumeType,
    instances,
    poolCapacityBytes: config.poolCapacityBytes ?? DEFAULT_POOL_CAPACITY_BYTES,
    quotas: { ...DEFAULT_QUOTAS, ...config.quotas },
    byIdDir: config.byIdDir ?? "/dev/disk/by-id",
    latencyMs:
      typeof latency === "number" ? () => latency : (kind) => latency[kind] ?? DEFAULT_OPERATION_LATENCY_MS,
    faults: config.faults ?? { rules: [] },
    localAttach: config.localAttach ?? true,
  };
}
