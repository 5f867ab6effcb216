/**
 * `Retry-After` per RFC 9110 §10.2.3: delta-seconds or an HTTP-date. Returns milliseconds from
 * `nowMs`, or undefined when absent or unparseable (a bad hint must not stop a retry).
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse accepts things like "-1" as years; an HTTP-date always has a month name.
  const date = /[A-Za-z]{3}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * `RateLimit-Reset` as DigitalOcean and Hetzner send it: the Unix epoch second at which the
 * account's budget has room again. As a wait from `nowMs`; undefined when absent or not a number.
 */
export function rateLimitResetWaitMs(headers: Headers, nowMs: number): number | undefined {
  const value = headers.get("ratelimit-reset")?.trim();
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Math.max(0, Number(value) * 1000 - nowMs);
}

/** The contract's `Poll-After-Ms`: expected remaining time of async work, in milliseconds. */
export function parsePollAfterMs(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}

/**
 * The server's hint of when to come back. `Poll-After-Ms` wins because `Retry-After` has whole
 * seconds only, and async work in the reference cloud often finishes in a few hundred ms.
 */
export function serverHintMs(headers: Headers, nowMs: number): number | undefined {
  return (
    parsePollAfterMs(headers.get("poll-after-ms")) ?? parseRetryAfterMs(headers.get("retry-after"), nowMs)
  );
}
