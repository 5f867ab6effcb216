import { createHash } from "node:crypto";
import { invalidArgument } from "../shared/errors.js";

/** The cloud's ResourceName (openapi/block-storage.v1.yaml): names are unique per kind. */
export const CLOUD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The CSI spec's limit for names (section "Size Limits"). */
const MAX_CO_NAME_BYTES = 128;
const HASHED_NAME_PREFIX = "csi-";
/** 128 bits of sha256: collisions among a cloud's names are not a practical concern. */
const HASHED_NAME_HEX_CHARS = 32;

/**
 * The characters the CSI spec bans from names: the control characters other than tab, line feed
 * and carriage return, which it counts as commonly used whitespace and so allows.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const BANNED_IN_CO_NAME = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * A CO name as the CSI spec allows it: any Unicode without the banned control characters,
 * 1..128 bytes. The cloud is stricter; `cloudNameOf` bridges the two.
 */
export function checkedCoName(field: string, name: string): string {
  if (name === "") throw invalidArgument(`${field}: is required`);
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_CO_NAME_BYTES) {
    throw invalidArgument(
      `${field}: ${JSON.stringify(name)} is ${bytes} bytes, longer than the ${MAX_CO_NAME_BYTES} bytes CSI allows`,
    );
  }
  const banned = BANNED_IN_CO_NAME.exec(name)?.[0];
  if (banned !== undefined) {
    // JSON.stringify leaves C1 characters and DEL as they are, invisible in a log line.
    const codePoint = `U+${banned.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    throw invalidArgument(
      `${field}: ${JSON.stringify(name)} contains the control character ${codePoint}, which CSI does not allow in names`,
    );
  }
  return name;
}

/**
 * The cloud name for a CO name: the CO name itself when the cloud accepts it (Kubernetes'
 * pvc-<uid> and snapshot-<uid> always fit, and stay readable in the cloud's console), otherwise
 * `csi-` and a hex sha256 prefix of it. Deterministic, so every lookup by name (idempotent
 * create, in-flight locks, Idempotency-Key) finds the same resource; the CO name itself is kept
 * in the `ballast.dev/csi-name` tag.
 */
export function cloudNameOf(coName: string): string {
  if (CLOUD_NAME.test(coName)) return coName;
  const digest = createHash("sha256").update(coName, "utf8").digest("hex");
  return `${HASHED_NAME_PREFIX}${digest.slice(0, HASHED_NAME_HEX_CHARS)}`;
}
