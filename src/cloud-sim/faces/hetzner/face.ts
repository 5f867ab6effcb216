import { fileURLToPath } from "node:url";
import type { VolumeType, Zone } from "../../config.js";
import { Contract } from "../../contract.js";
import { providerListener } from "../api-front.js";
import { type Face, integerIds, isIntegerId } from "../face.js";
import { TokenBucket } from "../rate-limits.js";
import { hetznerDialect } from "./dialect.js";
import { createHetznerHandlers, MAX_SIZE_GB, MAX_VOLUMES_PER_SERVER, MIN_SIZE_GB } from "./handlers.js";
import { GB } from "./views.js";

export const HETZNER_DESCRIPTION_PATH = fileURLToPath(
  new URL("../../../../openapi/providers/hetzner-cloud.v1.yaml", import.meta.url),
);

const RATE_HEADERS = { limit: "RateLimit-Limit", remaining: "RateLimit-Remaining", reset: "RateLimit-Reset" };
/** Hetzner's project budget: a bucket of 3600 requests that refills one a second. */
const REAL_BUCKET = { capacity: 3600, perSecond: 1 };

const ZONES: Zone[] = [
  { name: "fsn1", region: "eu-central", status: "available" },
  { name: "nbg1", region: "eu-central", status: "available" },
  { name: "hel1", region: "eu-central", status: "available" },
];

const VOLUME_TYPES: VolumeType[] = [
  {
    name: "hcloud-volume",
    description: "Hetzner Cloud Volume",
    minSizeBytes: MIN_SIZE_GB * GB,
    maxSizeBytes: MAX_SIZE_GB * GB,
    sizeGranularityBytes: GB,
    supportsEncryption: false,
    multiAttach: false,
  },
];

let description: Contract | undefined;

/** The Hetzner Cloud API (volumes, actions, servers) over the engine; it has no volume snapshots. */
export const hetznerFace: Face = {
  api: "hetzner",
  basePath: "/v1",
  defaultZones: ZONES,
  volumeTypes: VOLUME_TYPES,
  newId: (taken) => integerIds(taken),
  ownsId: (_kind, id) => isIntegerId(id),
  attachLimits: { perVolume: 1, perInstance: () => MAX_VOLUMES_PER_SERVER },
  linkName: (volume) => `scsi-0HC_Volume_${volume.id}`,
  listener(context) {
    description ??= Contract.load(HETZNER_DESCRIPTION_PATH);
    const limit = context.rateLimit;
    const bucket =
      limit === undefined
        ? REAL_BUCKET
        : limit === false
          ? { capacity: Number.MAX_SAFE_INTEGER, perSecond: Number.MAX_SAFE_INTEGER }
          : { capacity: limit.requests, perSecond: limit.requests / limit.perSeconds };
    return providerListener(context, {
      contract: description,
      dialect: hetznerDialect(context.localInstance),
      handlers: createHetznerHandlers(context.engine, context.byIdPath),
      rateLimiter: new TokenBucket(bucket.capacity, bucket.perSecond, RATE_HEADERS),
    });
  },
};
