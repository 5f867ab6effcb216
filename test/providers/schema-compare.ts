import type { Context, Json, Mismatch, OpenApiDocument } from "./openapi-document.js";

/**
 * Compares a schema of our description with the reference's: type, format, enum, bounds,
 * nullability and required-ness must agree for every field we declare, through $ref, allOf and
 * anyOf/oneOf, across OpenAPI 3.0 (`nullable`) and 3.1 (`type: [..., "null"]`).
 */

export interface SchemaNode {
  doc: OpenApiDocument;
  schema: unknown;
}

export function node(doc: OpenApiDocument, schema: unknown): SchemaNode {
  return { doc, schema: schema ?? {} };
}

/** The keywords whose values must be equal on both sides. */
const EQUAL_KEYWORDS = [
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "multipleOf",
  "minItems",
  "maxItems",
] as const;

/** A schema with allOf merged, `nullable` and `type: [..., "null"]` unified, and anyOf/oneOf split. */
interface Shape {
  types: string[] | undefined;
  nullable: boolean;
  enum: string | undefined;
  keywords: Map<string, string>;
  /** Per property, alternatives of which one must match (more than one only under anyOf). */
  properties: Map<string, SchemaNode[]>;
  required: Set<string>;
  items: SchemaNode[];
  additional: SchemaNode[];
  branches: SchemaNode[] | undefined;
}

function emptyShape(): Shape {
  return {
    types: undefined,
    nullable: false,
    enum: undefined,
    keywords: new Map(),
    properties: new Map(),
    required: new Set(),
    items: [],
    additional: [],
    branches: undefined,
  };
}

function shapeOf(at: SchemaNode): Shape {
  const s = at.doc.resolve(at.schema);
  const shape = emptyShape();
  const type = s.type;
  if (typeof type === "string") shape.types = [type];
  if (Array.isArray(type)) {
    shape.nullable = type.includes("null");
    shape.types = type.filter((t) => t !== "null").map(String);
  }
  if (shape.types?.length === 0) shape.types = undefined;
  if (s.nullable === true) shape.nullable = true;
  if (Array.isArray(s.enum)) {
    if (s.enum.includes(null)) shape.nullable = true;
    shape.enum = JSON.stringify(s.enum.filter((v) => v !== null).sort());
  }
  for (const key of EQUAL_KEYWORDS) if (s[key] !== undefined) shape.keywords.set(key, JSON.stringify(s[key]));
  for (const [name, value] of Object.entries((s.properties ?? {}) as Json)) {
    shape.properties.set(name, [{ doc: at.doc, schema: value }]);
  }
  for (const name of (s.required ?? []) as string[]) shape.required.add(name);
  if (s.items !== undefined) shape.items.push({ doc: at.doc, schema: s.items });
  if (typeof s.additionalProperties === "object") {
    shape.additional.push({ doc: at.doc, schema: s.additionalProperties });
  }
  for (const member of (s.allOf ?? []) as unknown[])
    mergeAll(shape, shapeOf({ doc: at.doc, schema: member }), at.doc);
  const alternatives = [...((s.anyOf ?? []) as unknown[]), ...((s.oneOf ?? []) as unknown[])];
  const nonNull = alternatives.filter((a) => at.doc.resolve(a).type !== "null");
  if (nonNull.length < alternatives.length) shape.nullable = true;
  if (nonNull.length === 1) mergeAll(shape, shapeOf({ doc: at.doc, schema: nonNull[0] }), at.doc);
  if (nonNull.length > 1) shape.branches = nonNull.map((schema) => ({ doc: at.doc, schema }));
  if (shape.types === undefined && (shape.properties.size > 0 || shape.required.size > 0))
    shape.types = ["object"];
  if (shape.types === undefined && shape.items.length > 0) shape.types = ["array"];
  return shape;
}

/** allOf: both must hold, so a property declared twice becomes the allOf of both declarations. */
function mergeAll(into: Shape, from: Shape, doc: OpenApiDocument): void {
  into.types ??= from.types;
  into.nullable ||= from.nullable;
  into.enum ??= from.enum;
  for (const [k, v] of from.keywords) if (!into.keywords.has(k)) into.keywords.set(k, v);
  for (const [name, alternatives] of from.properties) {
    const existing = into.properties.get(name);
    const schemas = [...(existing ?? []), ...alternatives].map((n) => n.schema);
    into.properties.set(name, schemas.length === 1 ? alternatives : [{ doc, schema: { allOf: schemas } }]);
  }
  for (const name of from.required) into.required.add(name);
  into.items.push(...from.items);
  into.additional.push(...from.additional);
  into.branches ??= from.branches;
}

/** anyOf seen as one object: a field exists if a branch has it, and is required if all do. */
function unionOf(branches: SchemaNode[]): Shape {
  const shapes = branches.map(shapeOf).filter((s) => s.types !== undefined || s.properties.size > 0);
  const union = emptyShape();
  const types = new Set(shapes.flatMap((s) => s.types ?? []));
  union.types = types.size === 0 ? undefined : [...types].sort();
  union.nullable = shapes.some((s) => s.nullable);
  const first = shapes[0];
  if (first !== undefined) {
    for (const [k, v] of first.keywords)
      if (shapes.every((s) => s.keywords.get(k) === v)) union.keywords.set(k, v);
    for (const name of first.required)
      if (shapes.every((s) => s.required.has(name))) union.required.add(name);
  }
  for (const shape of shapes) {
    for (const [name, alternatives] of shape.properties) {
      union.properties.set(name, [...(union.properties.get(name) ?? []), ...alternatives]);
    }
    union.items.push(...shape.items);
  }
  return union;
}

export function compareSchemas(ctx: Context, where: string, mine: SchemaNode, theirs: SchemaNode): void {
  const m = shapeOf(mine);
  let r = shapeOf(theirs);
  if (m.branches !== undefined) {
    for (const [i, branch] of m.branches.entries()) {
      const at = `${where} anyOf[${i}]`;
      if (r.branches === undefined) {
        compareSchemas(ctx, at, branch, theirs);
        continue;
      }
      const attempts = r.branches.map((refBranch) => trial(ctx, at, branch, refBranch));
      if (!attempts.some((a) => a.length === 0)) ctx.out.push(...closest(attempts));
    }
    return;
  }
  if (r.branches !== undefined) r = unionOf(r.branches);
  const differ = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      ctx.out.push({ where, problem: `${what} ${JSON.stringify(a)}, reference ${JSON.stringify(b)}` });
    }
  };
  differ("type", m.types?.slice().sort(), r.types?.slice().sort());
  differ("nullable", m.nullable, r.nullable);
  differ(
    "enum",
    m.enum === undefined ? undefined : JSON.parse(m.enum),
    r.enum === undefined ? undefined : JSON.parse(r.enum),
  );
  for (const key of new Set([...m.keywords.keys(), ...r.keywords.keys()])) {
    const a = m.keywords.get(key);
    const b = r.keywords.get(key);
    differ(key, a === undefined ? undefined : JSON.parse(a), b === undefined ? undefined : JSON.parse(b));
  }
  for (const [name, alternatives] of m.properties) {
    const at = `${where}.${name}`;
    const candidates = r.properties.get(name);
    if (candidates === undefined) {
      ctx.out.push({ where: at, problem: "field not in the reference" });
      continue;
    }
    if (m.required.has(name) !== r.required.has(name)) {
      ctx.out.push({
        where: at,
        problem: `required ${m.required.has(name)}, reference ${r.required.has(name)}`,
      });
    }
    const mineField = alternatives[0] as SchemaNode;
    const attempts = candidates.map((candidate) => trial(ctx, at, mineField, candidate));
    if (!attempts.some((a) => a.length === 0)) ctx.out.push(...closest(attempts));
  }
  for (const name of m.required) {
    if (!m.properties.has(name))
      ctx.out.push({ where: `${where}.${name}`, problem: "required but not declared" });
  }
  if (ctx.request === true) {
    for (const name of r.required) {
      if (m.properties.has(name)) continue;
      ctx.out.push({ where: `${where}.${name}`, problem: "required by the reference but not declared" });
    }
  }
  if (m.items.length > 0) {
    const refItems = r.items[0];
    if (refItems === undefined)
      ctx.out.push({ where: `${where}[]`, problem: "the reference has no items here" });
    else compareSchemas(ctx, `${where}[]`, m.items[0] as SchemaNode, refItems);
  }
  if (m.additional.length > 0) {
    const refAdditional = r.additional[0];
    if (refAdditional === undefined) {
      ctx.out.push({ where: `${where}{}`, problem: "the reference has no additionalProperties schema here" });
    } else compareSchemas(ctx, `${where}{}`, m.additional[0] as SchemaNode, refAdditional);
  }
}

/**
 * Of failed attempts against alternatives, the one most likely meant: the fewest fields missing on
 * either side, then the fewest mismatches.
 */
function closest(attempts: Mismatch[][]): Mismatch[] {
  const missing = (a: Mismatch[]) =>
    a.filter((m) => m.problem.includes("not declared") || m.problem.includes("not in the reference")).length;
  return attempts.reduce((best, next) =>
    missing(next) < missing(best) || (missing(next) === missing(best) && next.length < best.length)
      ? next
      : best,
  );
}

function trial(ctx: Context, where: string, mine: SchemaNode, theirs: SchemaNode): Mismatch[] {
  const out: Mismatch[] = [];
  compareSchemas({ ...ctx, out }, where, mine, theirs);
  return out;
}
