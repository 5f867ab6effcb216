import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { type Json, matchingStatus, type OpenApiDocument, operationsOf } from "./openapi-document.js";

/**
 * Validation of JSON values against the schemas of a description: ours (OpenAPI 3.1, JSON Schema
 * 2020-12) or a reference (OpenAPI 3.0, whose `nullable` Ajv understands in draft-07 mode).
 */
export class SchemaValidator {
  private readonly ajv: Ajv | Ajv2020;

  constructor(
    private readonly doc: OpenApiDocument,
    dialect: "3.0" | "3.1",
    private readonly id: string,
  ) {
    const options = { strict: false, allErrors: true, validateSchema: false, logger: false } as const;
    this.ajv = dialect === "3.1" ? new Ajv2020(options) : new Ajv(options);
    const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;
    addFormats(this.ajv);
    // OpenAPI's own formats carry no constraint JSON Schema could check beyond the type.
    for (const format of ["int32", "int64", "float", "double", "decimal"]) this.ajv.addFormat(format, true);
    this.dialect = dialect;
    this.ajv.addSchema(this.prepared(doc.raw) as Json, id);
  }

  private readonly dialect: "3.0" | "3.1";

  compile(schema: unknown): ValidateFunction {
    return this.ajv.compile(this.prepared(this.anchored(schema)) as Json);
  }

  /** Ajv refuses 3.0's `nullable` without `type` (e.g. beside `allOf`), so that becomes an anyOf. */
  private prepared(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.prepared(v));
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value).map(([k, v]) => [k, this.prepared(v)] as const);
    const object = Object.fromEntries(entries) as Json;
    if (this.dialect !== "3.0" || object.nullable !== true || object.type !== undefined) return object;
    const { nullable: _, ...rest } = object;
    return { anyOf: [rest, { type: "null" }] };
  }

  /** Rewrites local `$ref`s so they resolve inside the whole document registered under `id`. */
  private anchored(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.anchored(v));
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === "$ref" && typeof v === "string" && v.startsWith("#") ? `${this.id}${v}` : this.anchored(v),
      ]),
    );
  }

  /** The JSON schema of a response (status as declared) or of the request body of an operation. */
  schemaAt(method: string, path: string, part: { status: string } | "request"): unknown {
    const operation = this.doc.resolve(
      ((this.doc.raw.paths as Record<string, Json>)[path] as Json | undefined)?.[method] ?? {},
    );
    const holder =
      part === "request" ? operation.requestBody : ((operation.responses ?? {}) as Json)[part.status];
    if (holder === undefined) return undefined;
    const content = (this.doc.resolve(holder).content ?? {}) as Record<string, Json>;
    return content["application/json"]?.schema;
  }
}

export interface Example {
  /** Where the reference documents it, e.g. `POST /v2/volumes 201 example`. */
  where: string;
  value: unknown;
}

/** Every JSON example the reference documents for a response or request of one operation. */
export function examplesAt(
  reference: OpenApiDocument,
  method: string,
  path: string,
  part: { status: string } | "request",
): Example[] {
  const operation = ((reference.raw.paths as Record<string, Json>)[path] as Json | undefined)?.[method] as
    | Json
    | undefined;
  if (operation === undefined) return [];
  let label = "request";
  let holder: unknown = operation.requestBody;
  if (part !== "request") {
    const responses = (operation.responses ?? {}) as Json;
    const status = matchingStatus(responses, part.status);
    if (status === undefined) return [];
    label = status;
    holder = responses[status];
  }
  if (holder === undefined) return [];
  const media = ((reference.resolve(holder).content ?? {}) as Record<string, Json>)["application/json"];
  if (media === undefined) return [];
  const where = `${method.toUpperCase()} ${path} ${label}`;
  const out: Example[] = [];
  if (media.example !== undefined) out.push({ where: `${where} example`, value: media.example });
  for (const [name, example] of Object.entries((media.examples ?? {}) as Json)) {
    out.push({ where: `${where} examples.${name}`, value: reference.resolve(example).value });
  }
  if (media.schema !== undefined) {
    const schema = reference.resolve(media.schema);
    if (schema.example !== undefined) out.push({ where: `${where} schema example`, value: schema.example });
  }
  return out;
}

export interface ExampleVerdict {
  where: string;
  /** Ajv's complaints under our description; empty when the example decodes. */
  ours: string[];
  /** Whether the reference's own schema accepts it (a rejected example is the reference's defect). */
  acceptedByReference: boolean;
}

/** Every reference response example of every status we declare, checked against our schemas. */
export function checkResponseExamples(mine: OpenApiDocument, reference: OpenApiDocument): ExampleVerdict[] {
  const ours = new SchemaValidator(mine, "3.1", "mine");
  const theirs = new SchemaValidator(reference, "3.0", "reference");
  const verdicts: ExampleVerdict[] = [];
  for (const { method, path, operation } of operationsOf(mine)) {
    for (const status of Object.keys((operation.responses ?? {}) as Json)) {
      const schema = ours.schemaAt(method, path, { status });
      if (schema === undefined) continue;
      const validate = ours.compile(schema);
      for (const example of examplesAt(reference, method, path, { status })) {
        const refStatus = example.where.split(" ")[2] as string;
        const refSchema = theirs.schemaAt(method, path, { status: refStatus });
        const acceptedByReference =
          refSchema === undefined || theirs.compile(refSchema)(example.value) === true;
        const ok = validate(example.value) === true;
        verdicts.push({
          where: example.where,
          ours: ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`),
          acceptedByReference,
        });
      }
    }
  }
  return verdicts;
}

/** A request body the driver sends, checked against our request schema and the reference's. */
export function checkRequestBody(
  mine: OpenApiDocument,
  reference: OpenApiDocument,
  method: string,
  path: string,
  body: unknown,
): { ours: boolean; reference: boolean } {
  const ours = new SchemaValidator(mine, "3.1", "mine");
  const theirs = new SchemaValidator(reference, "3.0", "reference");
  const oursSchema = ours.schemaAt(method, path, "request");
  const refSchema = theirs.schemaAt(method, path, "request");
  if (oursSchema === undefined || refSchema === undefined) {
    throw new Error(`${method.toUpperCase()} ${path} has no JSON request body on both sides`);
  }
  return {
    ours: ours.compile(oursSchema)(body) === true,
    reference: theirs.compile(refSchema)(body) === true,
  };
}
