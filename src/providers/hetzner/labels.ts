import { invalidArgument } from "../../shared/errors.js";

/**
 * Hetzner's label grammar (openapi/providers/hetzner-cloud.v1.yaml, `Labels`): a value is empty
 * or 1–63 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit. A key is
 * a name of that grammar (not empty), optionally after a DNS-subdomain prefix and `/`.
 */
const LABEL_VALUE = /^(|[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9])$/;
const LABEL_NAME = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9])$/;
const LABEL_PREFIX = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MAX_PREFIX_LENGTH = 253;

/**
 * A value the grammar cannot carry (a `/`, Unicode, more than 63 characters) is stored as the
 * RFC 4648 base32 of its UTF-8 bytes, lowercase and unpadded (only letters and digits), cut into
 * chunks: the key itself holds `b32-<chunks>-<first chunk>`, and keys `<key>-2`, `<key>-3`, …
 * hold the rest. A plain value that looks like such a header is encoded too, so decoding is
 * never ambiguous.
 */
const ENCODED_HEADER = /^b32-(\d+)-([a-z2-7]*)$/;
const CHUNK_LENGTH = 56;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let buffer = 0;
  let out = "";
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  let bits = 0;
  let buffer = 0;
  for (const char of text) {
    const value = BASE32.indexOf(char);
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(bytes);
}

/** The key of the `index`th chunk (2, 3, …) of an encoded value. */
function chunkKey(key: string, index: number): string {
  return `${key}-${index}`;
}

function checkKey(field: string, key: string): void {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length <= MAX_PREFIX_LENGTH && LABEL_PREFIX.test(prefix));
  if (!prefixOk || !LABEL_NAME.test(name)) {
    throw invalidArgument(
      `${field}: tag key ${JSON.stringify(key)} is not a Hetzner Cloud label key (an optional DNS prefix and "/", then 1-63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit)`,
    );
  }
}

/**
 * Tags as Hetzner labels, deterministically: keys as they are (refused with InvalidArgument
 * naming the key when Hetzner cannot take them), values as they are when the grammar allows,
 * otherwise base32 in chunks (see ENCODED_HEADER).
 */
export function encodeLabels(tags: Readonly<Record<string, string>>, field = "tags"): Record<string, string> {
  const labels: Record<string, string> = {};
  const put = (key: string, value: string) => {
    if (key in labels) {
      throw invalidArgument(
        `${field}: tag key ${JSON.stringify(key)} collides with a chunk of another encoded tag value on Hetzner Cloud`,
      );
    }
    labels[key] = value;
  };
  for (const key of Object.keys(tags).sort()) {
    checkKey(field, key);
    const value = tags[key] ?? "";
    if (LABEL_VALUE.test(value) && !ENCODED_HEADER.test(value)) {
      put(key, value);
      continue;
    }
    const encoded = base32(new TextEncoder().encode(value));
    const chunks: string[] = [];
    for (let at = 0; at < encoded.length; at += CHUNK_LENGTH)
      chunks.push(encoded.slice(at, at + CHUNK_LENGTH));
    if (chunks.length === 0) chunks.push("");
    put(key, `b32-${chunks.length}-${chunks[0]}`);
    for (let index = 2; index <= chunks.length; index += 1) {
      const extra = chunkKey(key, index);
      checkKey(field, extra);
      put(extra, chunks[index - 1] ?? "");
    }
  }
  return labels;
}

/**
 * Labels back as tags: encoded values decoded and their chunk keys dropped. A header whose chunks
 * are missing or not base32 (labels someone edited by hand) is kept as the raw label.
 */
export function decodeLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const tags: Record<string, string> = {};
  const chunkKeys = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    const header = ENCODED_HEADER.exec(value);
    if (header === null) continue;
    const count = Number(header[1]);
    const parts = [header[2] ?? ""];
    for (let index = 2; index <= count; index += 1) parts.push(labels[chunkKey(key, index)] ?? "\0");
    const bytes = unbase32(parts.join(""));
    if (bytes === undefined) continue;
    try {
      tags[key] = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      continue;
    }
    for (let index = 2; index <= count; index += 1) chunkKeys.add(chunkKey(key, index));
  }
  for (const [key, value] of Object.entries(labels)) {
    if (!(key in tags) && !chunkKeys.has(key)) tags[key] = value;
  }
  return tags;
}

/** A label selector matching every label of `labels` exactly (`k=v,k2=v2`). */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}
