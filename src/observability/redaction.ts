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
 *   not material, and stay visible).
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
  if (parts.some((part) => CREDENTIAL_WORDS.has(part))) return true;
  return parts.at(-1) === "key";
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

/** Replaces every occurrence of every credential value in `text` with `[REDACTED]`. */
export function scrub(text: string, credentials: readonly string[]): string {
  let result = text;
  for (const value of credentials) {
    if (result.includes(value)) result = result.split(value).join(REDACTED);
  }
  return result;
}
