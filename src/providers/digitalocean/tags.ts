import { MANAGED_BY_TAG } from "../../controller/storage-class-parameters.js";
import { invalidArgument } from "../../shared/errors.js";
import { PROVIDER_LABEL } from "./error-mapping.js";

/**
 * DigitalOcean tags are flat names of letters, digits, `:`, `-` and `_`, at most 255 characters
 * *(DigitalOcean's tag rules; not in the published description)*, and each one is an object of
 * the account that outlives the resources it was put on. So:
 * - tags shared by many resources (the driver's ownership tag, StorageClass tags) become DigitalOcean
 *   tags, one `<key>:<value>` name each, which the console, billing and `tag_name` filters see;
 * - facts of one resource (`ballast.dev/csi-name`, the snapshot a volume was restored from, the
 *   VolumeSnapshot's names) would leave one tag per volume in the account for ever: a volume keeps
 *   them as JSON in its `description`; a snapshot, which has no description, does not keep them.
 */
const RESOURCE_TAG_PREFIX = "ballast.dev/";
/** Where a volume's description records the snapshot it was restored from. */
const RESTORED_FROM = "ballast.dev/restored-from";
const MAX_TAG_LENGTH = 255;

/**
 * Key and value are kept where they are lowercase letters, digits and `-`; every other UTF-8 byte
 * is `_` and two lowercase hex digits. Lowercase only, so the name survives if DigitalOcean folds
 * case; `:` is escaped too, so the first `:` of a tag always separates key and value.
 */
const KEPT = /^[a-z0-9-]$/;
const ESCAPE = /^_[0-9a-f]{2}/;

function escapeTagPart(text: string): string {
  let out = "";
  for (const char of text) {
    if (KEPT.test(char)) {
      out += char;
      continue;
    }
    for (const byte of new TextEncoder().encode(char)) out += `_${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

function unescapeTagPart(text: string): string | undefined {
  const bytes: number[] = [];
  for (let at = 0; at < text.length; ) {
    if (text[at] === "_") {
      if (!ESCAPE.test(text.slice(at))) return undefined;
      bytes.push(Number.parseInt(text.slice(at + 1, at + 3), 16));
      at += 3;
      continue;
    }
    bytes.push(...new TextEncoder().encode(text[at]));
    at += 1;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** One tag as a DigitalOcean tag name, or InvalidArgument naming the key when it is too long. */
export function encodeTag(field: string, key: string, value: string): string {
  const tag = `${escapeTagPart(key)}:${escapeTagPart(value)}`;
  if (tag.length > MAX_TAG_LENGTH) {
    throw invalidArgument(
      `${field}: tag ${JSON.stringify(key)} is ${tag.length} characters as a ${PROVIDER_LABEL} tag, more than the ${MAX_TAG_LENGTH} it allows`,
    );
  }
  return tag;
}

/**
 * A DigitalOcean tag name back as a key and value. A name this encoding did not make (someone's
 * `production`, DigitalOcean's own `k8s:<cluster>`) reads as itself: split at its first `:`
 * when both halves decode, else the whole name as a key with an empty value.
 */
export function decodeTag(tag: string): [string, string] {
  const colon = tag.indexOf(":");
  if (colon < 0) return [tag, ""];
  const key = unescapeTagPart(tag.slice(0, colon));
  const value = unescapeTagPart(tag.slice(colon + 1));
  return key === undefined || value === undefined ? [tag, ""] : [key, value];
}

function isResourceFact(key: string): boolean {
  return key.startsWith(RESOURCE_TAG_PREFIX) && key !== MANAGED_BY_TAG;
}

/** The DigitalOcean tags for a resource's tags: every tag but the facts of one resource. */
export function sharedTags(field: string, tags: Readonly<Record<string, string>>): string[] {
  return Object.keys(tags)
    .filter((key) => !isResourceFact(key))
    .sort()
    .map((key) => encodeTag(field, key, tags[key] ?? ""));
}

/** A volume's description: its own facts as JSON, or undefined when it has none. */
export function volumeDescription(
  tags: Readonly<Record<string, string>>,
  sourceSnapshotId: string | undefined,
): string | undefined {
  const facts: Record<string, string> = {};
  for (const key of Object.keys(tags).sort()) {
    if (isResourceFact(key)) facts[key] = tags[key] ?? "";
  }
  if (sourceSnapshotId !== undefined) facts[RESTORED_FROM] = sourceSnapshotId;
  return Object.keys(facts).length === 0 ? undefined : JSON.stringify(facts);
}

function factsOf(description: string | undefined): Record<string, string> {
  if (description === undefined || !description.startsWith("{")) return {};
  try {
    const parsed: unknown = JSON.parse(description);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const entries = Object.entries(parsed);
    return entries.every(([, value]) => typeof value === "string") ? Object.fromEntries(entries) : {};
  } catch {
    return {};
  }
}

/**
 * A volume's tags and source snapshot from its DigitalOcean tags and description. A description
 * that is not this driver's JSON (someone's words) adds nothing.
 */
export function readVolumeTags(
  doTags: readonly string[] | null | undefined,
  description: string | undefined,
): { tags: Record<string, string>; sourceSnapshotId: string | undefined } {
  const tags = readTags(doTags);
  const facts = factsOf(description);
  const sourceSnapshotId = facts[RESTORED_FROM];
  delete facts[RESTORED_FROM];
  return { tags: { ...tags, ...facts }, sourceSnapshotId };
}

/** Tags from DigitalOcean tag names alone (a snapshot's). */
export function readTags(doTags: readonly string[] | null | undefined): Record<string, string> {
  // fromEntries defines own properties, so a tag named `__proto__` stays a tag.
  return Object.fromEntries((doTags ?? []).map(decodeTag));
}

/** Whether `tags` holds every tag of `wanted` with the same value. */
export function hasTags(
  tags: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(wanted).every(([key, value]) => tags[key] === value);
}
