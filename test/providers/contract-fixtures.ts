import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type Json, OpenApiDocument } from "./openapi-document.js";

export const root = new URL("../..", import.meta.url).pathname;

/** The cloud's published description, beside the checkout like the CSI spec; required in CI. */
export function loadReference(t: TestContext, ...path: string[]): OpenApiDocument | undefined {
  const file = join(root, "..", "shared", "reference", ...path);
  if (existsSync(file)) return OpenApiDocument.load(file);
  if (process.env.CI === "true") throw new Error(`CI must have the reference description at ${file}`);
  t.skip(`the reference description is not beside the checkout at ${file}`);
  return undefined;
}

export function loadOurs(name: string): OpenApiDocument {
  return OpenApiDocument.load(join(root, "openapi", "providers", name));
}

/** The node at a key path, e.g. `["components", "schemas", "Volume"]`; throws when absent. */
export function at(doc: Json, keys: string[]): Json {
  let node: unknown = doc;
  for (const key of keys) {
    node = (node as Json | undefined)?.[key];
    if (node === undefined) throw new Error(`no ${keys.join(" › ")} in the description`);
  }
  return node as Json;
}

/** A copy of a description with one edit, as someone might make it. */
export function mutated(doc: OpenApiDocument, edit: (raw: Json) => void): OpenApiDocument {
  const raw = structuredClone(doc.raw);
  edit(raw);
  return new OpenApiDocument(raw);
}
