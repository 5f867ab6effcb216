import { createHash } from "node:crypto";

/** DigitalOcean's volume names: lowercase letters, digits and `-`, starting with a letter, ≤ 64. */
const DO_NAME = /^[a-z][a-z0-9-]{0,63}$/;
const HASHED_NAME_PREFIX = "csi-";
/** 128 bits of sha256: collisions among one region's volume names are not a practical concern. */
const HASHED_NAME_HEX_CHARS = 32;

/**
 * The DigitalOcean name for the controller's cloud name: itself when DigitalOcean takes it
 * (Kubernetes' `pvc-<uid>` and `snapshot-<uid>` always fit), else `csi-` and a hex sha256 prefix
 * of it (lowercase, starts with a letter, 36 characters). Deterministic, so a retried create and
 * every lookup by name land on the same volume; the CO name itself is kept in the description.
 */
export function digitalOceanName(name: string): string {
  if (DO_NAME.test(name)) return name;
  const digest = createHash("sha256").update(name, "utf8").digest("hex");
  return `${HASHED_NAME_PREFIX}${digest.slice(0, HASHED_NAME_HEX_CHARS)}`;
}

export function isDigitalOceanName(name: string): boolean {
  return DO_NAME.test(name);
}

/** Volume and volume snapshot ids are UUIDs (the description's `format: uuid`). */
export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const WHOLE_UUID = new RegExp(`^${UUID.source}$`);

export function isUuid(id: string): boolean {
  return WHOLE_UUID.test(id);
}

/** Droplet ids are positive integers. */
const DROPLET_ID = /^[1-9][0-9]{0,15}$/;

/** The integer a droplet id stands for, or undefined when no droplet can have it. */
export function dropletId(id: string): number | undefined {
  if (!DROPLET_ID.test(id)) return undefined;
  const value = Number(id);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** `size_gigabytes` counts GiB, 2^30 bytes. */
export const GIB = 1024 ** 3;
export const MIN_VOLUME_GIB = 1;
/** 16 TiB, the resize action's `maximum`. */
export const MAX_VOLUME_GIB = 16_384;

/**
 * DigitalOcean attaches at most this many volumes to one droplet: issue 12 and DigitalOcean's own
 * CSI driver say 7 (the published description's prose says fifteen; docs/digitalocean.md).
 */
export const MAX_VOLUMES_PER_DROPLET = 7;
