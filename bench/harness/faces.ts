import { randomBytes } from "node:crypto";
import { MAX_VOLUMES_PER_DROPLET } from "../../src/providers/digitalocean/names.js";
import { DIGITALOCEAN_VOLUME_TYPE } from "../../src/providers/digitalocean/resources.js";
import { HETZNER_VOLUME_TYPE, MAX_VOLUMES_PER_SERVER } from "../../src/providers/hetzner/resources.js";
import type { ProviderName } from "../../src/providers/provider.js";

/** An issue's limit on API calls per volume through the driver. */
export interface CallTargets {
  create?: number;
  attach?: number;
}

/**
 * One provider's API as the reference cloud serves it (its "face"), and what the bench needs to
 * set it up and read it: where volumes live, which instances it may configure, and how its
 * request log names the calls.
 */
export interface BenchFace {
  provider: ProviderName;
  zone: string;
  /** The volume type as the controller's port names it (what the direct side creates). */
  volumeType: string;
  /**
   * Volumes one instance can have attached when the API fixes it (DigitalOcean 7 per droplet,
   * Hetzner 16 per server); undefined when the bench configures it (ballast).
   */
  fixedAttachLimit: number | undefined;
  /** The id of configured instance `index` (0 is this machine's). */
  instanceId(index: number): string;
  /** Reads the driver makes once per process and caches, counted apart from per-volume calls. */
  catalogReads: readonly string[];
  /** The request log's names of the call that creates a volume and the one that starts an attach. */
  createOperation: string;
  attachOperation: string;
  /** Whether the API tells clients when to poll (Poll-After-Ms), so stripping it means something. */
  pollingHints: boolean;
  /** The limits on calls per create and per attach through the driver. */
  targets: CallTargets;
}

/**
 * The other clouds' faces name instances by integers and list none, so the bench gives each a
 * fixed id (the approach of test/storm/storm-faces.ts) and knows them without asking.
 */
const integerId = (index: number) => String(7_000_000 + index);

const ballast: BenchFace = {
  provider: "ballast",
  zone: "ref-1a",
  volumeType: "balanced",
  fixedAttachLimit: undefined,
  instanceId: () => `i-${randomBytes(8).toString("hex")}`,
  catalogReads: ["listZones", "listVolumeTypes"],
  createOperation: "createVolume",
  attachOperation: "attachVolume",
  pollingHints: true,
  targets: { create: 2 },
};

const digitalocean: BenchFace = {
  provider: "digitalocean",
  zone: "nyc1",
  volumeType: DIGITALOCEAN_VOLUME_TYPE,
  fixedAttachLimit: MAX_VOLUMES_PER_DROPLET,
  instanceId: integerId,
  // Zones and the one volume type are constants of the adapter: no call.
  catalogReads: [],
  createOperation: "volumes_create",
  attachOperation: "volumeActions_post_byId",
  pollingHints: false,
  targets: { create: 3, attach: 3 },
};

const hetzner: BenchFace = {
  provider: "hetzner",
  zone: "fsn1",
  volumeType: HETZNER_VOLUME_TYPE,
  fixedAttachLimit: MAX_VOLUMES_PER_SERVER,
  instanceId: integerId,
  catalogReads: [],
  createOperation: "create_volume",
  attachOperation: "attach_volume_to_server",
  pollingHints: false,
  targets: {},
};

export const BENCH_FACES: Record<ProviderName, BenchFace> = { ballast, digitalocean, hetzner };

/**
 * How many API-only instances hold `volumes` attachments: the wanted count, or more when the
 * API's fixed per-instance limit needs more.
 */
export function instancesFor(face: BenchFace, volumes: number, wanted: number): number {
  return face.fixedAttachLimit === undefined
    ? wanted
    : Math.max(wanted, Math.ceil(volumes / face.fixedAttachLimit));
}
