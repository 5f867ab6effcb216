import { readFileSync } from "node:fs";
import { parse } from "yaml";

export type Json = Record<string, unknown>;

export interface Mismatch {
  where: string;
  problem: string;
}

export interface ContractOptions {
  /** Response headers the cloud documents in prose but its description does not declare. */
  headersNotInReference?: readonly string[];
}

export class OpenApiDocument {
  constructor(readonly raw: Json) {}

  static load(path: string): OpenApiDocument {
    return new OpenApiDocument(parse(readFileSync(path, "utf8")) as Json);
  }

  /** Follows `$ref`s (local JSON pointers) until a node that is not one. */
  resolve(node: unknown): Json {
    let current = node as Json;
    for (let hops = 0; typeof current.$ref === "string"; hops++) {
      if (hops > 32) throw new Error(`$ref cycle at ${current.$ref}`);
      current = this.pointer(current.$ref);
    }
    return current;
  }

  pointer(ref: string): Json {
    if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported: ${ref}`);
    let at: unknown = this.raw;
    for (const token of ref.slice(2).split("/")) {
      const key = token.replaceAll("~1", "/").replaceAll("~0", "~");
      at = (at as Json | undefined)?.[key];
      if (at === undefined) throw new Error(`unresolvable $ref ${ref}`);
    }
    return at as Json;
  }
}

export const METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** Every operation of a document as `METHOD path`, in document order. */
export function operationsOf(doc: OpenApiDocument): { method: string; path: string; operation: Json }[] {
  const out: { method: string; path: string; operation: Json }[] = [];
  for (const [path, item] of Object.entries((doc.raw.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (operation !== undefined) out.push({ method, path, operation });
    }
  }
  return out;
}

/** The response a reference declares for a status we declare: exact, its `NXX` range, or `default`. */
export function matchingStatus(declared: Record<string, unknown>, status: string): string | undefined {
  const keys = Object.keys(declared);
  const exact = keys.find((k) => k.toUpperCase() === status.toUpperCase());
  if (exact !== undefined) return exact;
  if (/^\d{3}$/.test(status)) return keys.find((k) => k.toUpperCase() === `${status[0]}XX`);
  return undefined;
}

/** What a comparison carries: both documents and where mismatches go. */
export interface Context {
  mine: OpenApiDocument;
  reference: OpenApiDocument;
  out: Mismatch[];
  /** In a request body, a field the reference requires must be declared: the driver must send it. */
  request?: boolean;
}
