import { createHash } from "node:crypto";

/** Hetzner's volume names: letters, digits, `.`, `_`, `-`, alphanumeric at both ends, ≤ 64 characters. */
const HETZNER_VOLUME_NAME = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]{0,62}[A-Za-z0-9])$/;
const HASHED_NAME_PREFIX = "csi-";
/** 128 bits of sha256: collisions among one project's volume names are not a practical concern. */
const HASHED_NAME_HEX_CHARS = 32;

/**
 * The Hetzner name for the controller's cloud name: itself when Hetzner takes it (Kubernetes'
 * `pvc-<uid>` always fits), else `csi-` and a hex sha256 prefix of it. Deterministic, so a retried
 * create and every lookup by name land on the same volume; the CO name stays in its label.
 */
export function hetznerVolumeName(name: string): string {
  if (HETZNER_VOLUME_NAME.test(name)) return name;
  const digest = createHash("sha256").update(name, "utf8").digest("hex");
  return `${HASHED_NAME_PREFIX}${digest.slice(0, HASHED_NAME_HEX_CHARS)}`;
}

/** Hetzner ids are positive integers below 2^53 (the description's `Id`). */
const HETZNER_ID = /^[1-9][0-9]{0,15}$/;

/** The integer an id stands for, or undefined when no Hetzner resource can have it. */
export function hetznerId(id: string): number | undefined {
  if (!HETZNER_ID.test(id)) return undefined;
  const value = Number(id);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** GB as Hetzner counts them for volumes (its `size`): GiB, 2^30 bytes. */
export const GIB = 1024 ** 3;
export const MIN_VOLUME_GB = 10;
export const MAX_VOLUME_GB = 10_240;
