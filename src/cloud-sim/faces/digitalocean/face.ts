import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { VolumeType, Zone } from "../../config.js";
import { Contract } from "../../contract.js";
import { providerListener } from "../api-front.js";
import { type Face, integerIds, isIntegerId } from "../face.js";
import { SlidingWindows } from "../rate-limits.js";
import { digitalOceanDialect } from "./dialect.js";
import { createDigitalOceanHandlers, MAX_VOLUMES_PER_DROPLET } from "./handlers.js";

export const DIGITALOCEAN_DESCRIPTION_PATH = new URL(
  "../../../../openapi/providers/digitalocean.v2.yaml",
  import.meta.url,
);

const GiB = 1024 ** 3;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RATE_HEADERS = { limit: "ratelimit-limit", remaining: "ratelimit-remaining", reset: "ratelimit-reset" };
/** DigitalOcean's account limits: 5,000 requests an hour and 250 a minute. */
const REAL_WINDOWS = [
  { requests: 5000, seconds: 3600 },
  { requests: 250, seconds: 60 },
];

const ZONES: Zone[] = [
  { name: "nyc1", region: "nyc1", status: "available" },
  { name: "nyc3", region: "nyc3", status: "available" },
  { name: "fra1", region: "fra1", status: "available" },
];

const VOLUME_TYPES: VolumeType[] = [
  {
    name: "do-block-storage",
    description: "DigitalOcean Volumes Block Storage",
    minSizeBytes: GiB,
    maxSizeBytes: 16 * 1024 * GiB,
    sizeGranularityBytes: GiB,
    supportsEncryption: false,
    multiAttach: false,
  },
];

let description: Contract | undefined;

/** The DigitalOcean API v2 (block storage, actions, droplets) over the engine. */
export const digitalOceanFace: Face = {
  api: "digitalocean",
  basePath: "",
  defaultZones: ZONES,
  volumeTypes: VOLUME_TYPES,
  newId(taken) {
    const integer = integerIds(taken);
    // Volumes and snapshots have UUIDs; droplets and actions integers.
    return (prefix) => (prefix === "op" || prefix === "i" ? integer() : randomUUID());
  },
  ownsId: (kind, id) => (kind === "volume" ? UUID.test(id) : isIntegerId(id)),
  attachLimits: { perVolume: 1, perInstance: () => MAX_VOLUMES_PER_DROPLET },
  linkName: (volume) => `scsi-0DO_Volume_${volume.name ?? volume.id}`,
  listener(context) {
    description ??= Contract.load(fileURLToPath(DIGITALOCEAN_DESCRIPTION_PATH));
    const limit = context.rateLimit;
    const windows =
      limit === undefined
        ? REAL_WINDOWS
        : limit === false
          ? [{ requests: Number.MAX_SAFE_INTEGER, seconds: 3600 }]
          : [{ requests: limit.requests, seconds: limit.perSeconds }];
    return providerListener(context, {
      contract: description,
      dialect: digitalOceanDialect(context.localInstance),
      handlers: createDigitalOceanHandlers(context.engine),
      rateLimiter: new SlidingWindows(windows, RATE_HEADERS),
    });
  },
};
