import type { ProviderName } from "../../src/providers/provider.js";
import { CloudApi } from "../conformance/cloud-api.js";
import { ballastInventory, type InventoryReader } from "./inventory.js";
import { DigitalOceanInventory } from "./inventory-digitalocean.js";
import { HetznerInventory } from "./inventory-hetzner.js";

/** One instance of the cloud's `--config` file. */
export interface StormInstanceConfig {
  id?: string;
  name: string;
  zone: string;
  maxAttachedVolumes: number;
  local?: boolean;
}

/** The instance ids the workers attach to. */
export interface StormInstances {
  localId: string;
  remoteIds: string[];
}

/**
 * What differs between the clouds the storm runs against: the face the reference cloud serves,
 * where the driver points, what a volume may ask for and what the cloud can do.
 */
export interface StormFace {
  provider: ProviderName;
  zone: string;
  /** Hetzner has no snapshots: its cycles skip snapshot and restore. */
  snapshots: boolean;
  /** Only ballast has tiers; the other providers refuse a `type`. */
  volumeParameters: Record<string, string>;
  /** `ballast cloud` flags choosing the API. */
  cloudArgs: string[];
  /** The cloud's instances: this machine and enough API-only ones that no attach limit throttles `workers`. */
  instances(localName: string, workers: number): StormInstanceConfig[];
  /** Where a client of the face's API points. */
  apiUrl(rootUrl: string): string;
  /** How the node plugin finds its instance. */
  nodeArgs(rootUrl: string, localName: string): string[];
  reader(rootUrl: string, token: string, instances: StormInstances): InventoryReader;
  /** The ids of the configured instances, once the cloud runs. */
  instanceIds(rootUrl: string, token: string, config: StormInstanceConfig[]): Promise<StormInstances>;
}

/** Room for every worker's attachment twice over, in instances of `perInstance` volumes, at least 4. */
function remoteCount(workers: number, perInstance: number): number {
  return Math.max(4, Math.ceil((2 * workers) / perInstance));
}

/**
 * Other clouds' faces make ids of their own format and show no instance list, so the storm gives
 * every instance a fixed integer id (the config's `id`) and knows them without asking.
 */
function integerInstances(zone: string, localName: string, remote: number): StormInstanceConfig[] {
  return [
    { id: "7000000", name: localName, zone, maxAttachedVolumes: 16, local: true },
    ...Array.from({ length: remote }, (_, index) => ({
      id: String(7000001 + index),
      name: `storm-node-${index}`,
      zone,
      maxAttachedVolumes: 16,
    })),
  ];
}

async function configuredIds(config: StormInstanceConfig[]): Promise<StormInstances> {
  const local = config.find((instance) => instance.local === true);
  if (local?.id === undefined) throw new Error("the storm's cloud config has no local instance id");
  return {
    localId: local.id,
    remoteIds: config.filter((instance) => instance !== local).map((instance) => instance.id as string),
  };
}

const ballast: StormFace = {
  provider: "ballast",
  zone: "ref-1a",
  snapshots: true,
  volumeParameters: { type: "standard" },
  cloudArgs: [],
  // Roomy: the ballast cloud takes each instance's limit from the config.
  instances: (localName) => [
    { name: localName, zone: "ref-1a", maxAttachedVolumes: 64, local: true },
    ...Array.from({ length: 4 }, (_, index) => ({
      name: `storm-node-${index}`,
      zone: "ref-1a",
      maxAttachedVolumes: 256,
    })),
  ],
  apiUrl: (rootUrl) => rootUrl,
  nodeArgs: (_rootUrl, localName) => ["--node-name", localName],
  reader: (rootUrl, token) => ballastInventory(new CloudApi(rootUrl, token)),
  async instanceIds(rootUrl, token, config) {
    const localName = config.find((instance) => instance.local === true)?.name;
    const instances = await new CloudApi(rootUrl, token).instances();
    const local = instances.find((instance) => instance.name === localName);
    if (local === undefined) throw new Error(`the cloud has no instance named ${String(localName)}`);
    return {
      localId: local.id,
      remoteIds: instances.filter((instance) => instance.id !== local.id).map((instance) => instance.id),
    };
  },
};

const digitalocean: StormFace = {
  provider: "digitalocean",
  zone: "nyc1",
  snapshots: true,
  volumeParameters: {},
  // The real budget (250 requests a minute) would turn the storm into a wait.
  cloudArgs: ["--api", "digitalocean", "--api-rate-limit", "off"],
  // 7 volumes per droplet, whatever the config says.
  instances: (localName, workers) => integerInstances("nyc1", localName, remoteCount(workers, 7)),
  apiUrl: (rootUrl) => rootUrl,
  nodeArgs: (rootUrl) => ["--metadata-url", rootUrl],
  reader: (rootUrl, token, instances) =>
    new DigitalOceanInventory(rootUrl, token, [instances.localId, ...instances.remoteIds]),
  instanceIds: (_rootUrl, _token, config) => configuredIds(config),
};

const hetzner: StormFace = {
  provider: "hetzner",
  zone: "fsn1",
  snapshots: false,
  volumeParameters: {},
  cloudArgs: ["--api", "hetzner", "--api-rate-limit", "off"],
  // 16 volumes per server, whatever the config says.
  instances: (localName, workers) => integerInstances("fsn1", localName, remoteCount(workers, 16)),
  apiUrl: (rootUrl) => `${rootUrl}/v1`,
  nodeArgs: (rootUrl) => ["--metadata-url", rootUrl],
  reader: (rootUrl, token, instances) =>
    new HetznerInventory(`${rootUrl}/v1`, token, [instances.localId, ...instances.remoteIds]),
  instanceIds: (_rootUrl, _token, config) => configuredIds(config),
};

export const STORM_FACES: Record<ProviderName, StormFace> = { ballast, digitalocean, hetzner };
