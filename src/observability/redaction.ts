/**
 * What counts as a credential in a CSI request, and how to keep credentials out of log lines and
 * error messages.
 *
 * The rule:
 * - every value of a field whose name ends in `secrets` (the CSI `secrets` maps, all marked
 *   `csi_secret` in the proto, and any future `*_secrets` map) is a credential;
 * - in any other string map (parameters, volume context, publish context, mutable parameters...),
 *   the value of a key is a credential when the key looks like one: split into words at
 *   camelCase, `-`, `_`, `.` and `/`, it contains one of CREDENTIAL_WORDS, or its last word is
 *   `key` (key material: `apiKey`, `encryption-key`; but `kmsKeyId`, `keyName` are references,
 *   not material, and stay visible);
 * - a page cursor is not a credential although its name ends in `token` (`starting_token`,
 *   `next_token`, `page_token`): it only says where a list resumes, and an error about a bad one
 *   must be able to quote it.
 *
 * How credentials are scrubbed from text: a value of MIN_SUBSTRING_LENGTH characters or more is
 * replaced wherever it occurs. A shorter value would match inside unrelated words (a one-letter
 * password would take that letter out of every message), so it is replaced only where it stands
 * as a whole quoted value (`"x"`), which is how messages and JSON quote what a request carried.
 */
const CREDENTIAL_WORDS = new Set([
  "secret",
  "secrets",
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "token",
  "tokens",
  "credential",
  "credentials",
  "apikey",
  "auth",
  "authorization",
  "bearer",
  "cookie",
  "privatekey",
  "pem",
]);

export const REDACTED = "[REDACTED]";

export const MIN_SUBSTRING_LENGTH = 6;

/** Words besides `token` that make a key a page cursor, never a credential. */
const PAGE_CURSOR_WORDS = new Set(["starting", "next", "page"]);

const MAX_DEPTH = 8;

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s\-_./]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase());
}

/** Whether a map key (a parameter or volume-context key) names a credential. */
export function isCredentialKey(key: string): boolean {
  const parts = words(key);
  if (isPageCursor(parts)) return false;
  if (parts.some((part) => CREDENTIAL_WORDS.has(part))) return true;
  return parts.at(-1) === "key";
}

function isPageCursor(parts: readonly string[]): boolean {
  const [last, ...rest] = [...parts].reverse();
  return last === "token" && rest.length > 0 && rest.every((part) => PAGE_CURSOR_WORDS.has(part));
}

function isSecretsField(name: string): boolean {
  return /secrets$/i.test(name);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function collect(value: unknown, depth: number, found: Set<string>, allSecret: boolean): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === "string") {
    if (allSecret && value.length > 0) found.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, depth + 1, found, allSecret);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const secret = allSecret || isSecretsField(key) || isCredentialKey(key);
    collect(child, depth + 1, found, secret);
  }
}

/**
 * Every credential value carried by a request (see the rule above), longest first so that
 * scrubbing a value never leaves a longer one half-replaced.
 */
export function credentialValues(request: unknown): string[] {
  const found = new Set<string>();
  collect(request, 0, found, false);
  return [...found].sort((a, b) => b.length - a.length);
}

/**
 * Replaces the credential values in `text` with `[REDACTED]`: long ones wherever they occur, short
 * ones where they stand quoted (see the rule above).
 */
export function scrub(text: string, credentials: readonly string[]): string {
  let result = text;
  for (const value of credentials) {
    if (value.length >= MIN_SUBSTRING_LENGTH) {
      result = result.split(value).join(REDACTED);
      continue;
    }
    for (const quoted of new Set([JSON.stringify(value), `"${value}"`])) {
      result = result.split(quoted).join(`"${REDACTED}"`);
    }
  }
  return result;
}
