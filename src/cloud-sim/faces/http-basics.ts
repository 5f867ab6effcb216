import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { problem } from "../problems.js";

/* HTTP pieces every face needs whatever its routes and error bodies look like: bearer tokens,
   headers, bounded bodies and the canonical JSON an Idempotency-Key fingerprint is taken over. */

export const MAX_BODY_BYTES = 1024 * 1024;

/** Checks `Authorization: Bearer <token>` in constant time against the known tokens' digests. */
export class BearerTokens {
  private readonly digests: Buffer[];

  constructor(tokens: string[]) {
    this.digests = tokens.map(digest);
  }

  authenticate(request: IncomingMessage): void {
    const header = headerValue(request, "authorization");
    if (header === undefined) throw problem("unauthorized", "Authorization: header is missing");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) throw problem("unauthorized", "Authorization: expected `Bearer <token>`");
    const offered = digest(match[1]);
    if (!this.digests.some((known) => timingSafeEqual(known, offered))) {
      throw problem("forbidden", "Authorization: the bearer token is not valid");
    }
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw problem("invalid_argument", `body: larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
