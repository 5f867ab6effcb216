import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

/** Where the contract lives, relative to this module both under src/ (tsx) and dist/ (built). */
export const CONTRACT_PATH = fileURLToPath(new URL("../../openapi/block-storage.v1.yaml", import.meta.url));

const SCHEMA_BASE = "https://ballast.dev/schemas/";

type Json = Record<string, unknown>;

export interface ParameterSpec {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  schema: Json;
}

export interface ContractOperation {
  operationId: string;
  method: string;
  pathTemplate: string;
  matches(path: string): Record<string, string> | undefined;
  parameters: ParameterSpec[];
  validateParameters: ValidateFunction;
  validateBody?: ValidateFunction;
  /** Status → validator of the JSON body, or null when the status has no body. */
  responses: Map<number, ValidateFunction | null>;
  /** The same for the description's status ranges and fallback, keyed `4XX`, `5XX`, `DEFAULT`. */
  responseRanges: Map<string, ValidateFunction | null>;
}

export interface Violation {
  pointer: string;
  message: string;
}

/**
 * The OpenAPI contract compiled for serving: routes every request to its operation and validates
 * requests and responses with ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 */
export class Contract {
  readonly operations: ContractOperation[];
  readonly operationIds: ReadonlySet<string>;

  private constructor(
    operations: ContractOperation[],
    private readonly schemas: Ajv2020,
  ) {
    this.operations = operations;
    this.operationIds = new Set(operations.map((o) => o.operationId));
  }

  static load(path: string = CONTRACT_PATH): Contract {
    const document = parse(readFileSync(path, "utf8")) as Json;
    const schemas = newAjv(false);
    return new Contract(compileOperations(document, schemas), schemas);
  }

  /** Checks a value against a component schema, e.g. a fault file against `FaultConfig`. */
  check(schemaName: string, value: unknown): Violation[] {
    const validate = this.schemas.getSchema(`${SCHEMA_BASE}${schemaName}`);
    if (validate === undefined) throw new Error(`contract: no schema ${schemaName}`);
    return validate(value) ? [] : violations(validate.errors);
  }

  /** The operation for a method and path; `methodMismatch` when the path exists under other methods. */
  route(
    method: string,
    path: string,
  ): { operation: ContractOperation; pathParams: Record<string, string> } | { methodMismatch: boolean } {
    let pathKnown = false;
    for (const operation of this.operations) {
      const pathParams = operation.matches(path);
      if (pathParams === undefined) continue;
      pathKnown = true;
      if (operation.method === method) return { operation, pathParams };
    }
    return { methodMismatch: pathKnown };
  }
}

/**
 * The validator a response of this status answers to: its own entry, else its range (`4XX`), else
 * `default`; null when that entry has no body, undefined when the status is not documented at all.
 */
export function responseValidator(
  operation: ContractOperation,
  status: number,
): ValidateFunction | null | undefined {
  if (operation.responses.has(status)) return operation.responses.get(status);
  const range = `${Math.floor(status / 100)}XX`;
  if (operation.responseRanges.has(range)) return operation.responseRanges.get(range);
  return operation.responseRanges.get("DEFAULT");
}

export function violations(errors: ErrorObject[] | null | undefined, prefix = ""): Violation[] {
  return (errors ?? []).map((error) => {
    const missing = error.keyword === "required" ? `/${String(error.params.missingProperty)}` : "";
    const extra =
      error.keyword === "additionalProperties" ? `/${String(error.params.additionalProperty)}` : "";
    return {
      pointer: `${prefix}${error.instancePath}${missing}${extra}` || "/",
      message:
        error.keyword === "additionalProperties" ? "is not a known field" : (error.message ?? "invalid"),
    };
  });
}

function compileOperations(document: Json, bodies: Ajv2020): ContractOperation[] {
  const components = (document.components ?? {}) as Json;
  const schemas = (components.schemas ?? {}) as Record<string, Json>;
  const params = newAjv("array");
  const compiled = new Map<string, ValidateFunction>();
  const compile = (ajv: Ajv2020, schema: Json): ValidateFunction => {
    const key = `${ajv === params ? "p" : "b"}${JSON.stringify(schema)}`;
    const known = compiled.get(key);
    if (known !== undefined) return known;
    const validate = ajv.compile(schema);
    compiled.set(key, validate);
    return validate;
  };
  for (const [name, schema] of Object.entries(schemas)) {
    const rewritten = rewriteRefs(schema) as Json;
    bodies.addSchema({ ...rewritten, $id: `${SCHEMA_BASE}${name}` });
    params.addSchema({ ...rewritten, $id: `${SCHEMA_BASE}${name}` });
  }
  const resolve = (node: Json): Json => {
    const ref = node.$ref;
    if (typeof ref !== "string") return node;
    const [, section, name] = ref.replace("#/components/", "#/").split("/");
    const target = ((components[section ?? ""] ?? {}) as Record<string, Json>)[name ?? ""];
    if (target === undefined) throw new Error(`contract: unresolvable $ref ${ref}`);
    return resolve(target);
  };

  const operations: ContractOperation[] = [];
  for (const [pathTemplate, pathItemRaw] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    const pathItem = pathItemRaw;
    const shared = ((pathItem.parameters ?? []) as Json[]).map(resolve);
    for (const method of ["get", "put", "post", "delete", "patch"]) {
      const operation = pathItem[method] as Json | undefined;
      if (operation === undefined) continue;
      const parameters = [...shared, ...((operation.parameters ?? []) as Json[]).map(resolve)].map(
        (p): ParameterSpec => ({
          name: String(p.name),
          in: p.in as ParameterSpec["in"],
          required: p.required === true,
          schema: rewriteRefs(p.schema ?? {}) as Json,
        }),
      );
      const requestBody =
        operation.requestBody === undefined ? undefined : resolve(operation.requestBody as Json);
      const bodySchema = (
        (requestBody?.content as Json | undefined)?.["application/json"] as Json | undefined
      )?.schema as Json | undefined;
      const responses = new Map<number, ValidateFunction | null>();
      const responseRanges = new Map<string, ValidateFunction | null>();
      for (const [status, responseRaw] of Object.entries(
        (operation.responses ?? {}) as Record<string, Json>,
      )) {
        const content = resolve(responseRaw).content as Record<string, Json> | undefined;
        const media = content?.["application/json"] ?? content?.["application/problem+json"];
        const validate = media === undefined ? null : compile(bodies, rewriteRefs(media.schema) as Json);
        if (/^\d+$/.test(status)) responses.set(Number(status), validate);
        else responseRanges.set(status.toUpperCase(), validate);
      }
      operations.push({
        operationId: String(operation.operationId),
        method: method.toUpperCase(),
        pathTemplate,
        matches: pathMatcher(pathTemplate),
        parameters,
        validateParameters: params.compile(parameterSchema(parameters)),
        ...(bodySchema === undefined
          ? {}
          : { validateBody: bodies.compile(rewriteRefs(bodySchema) as Json) }),
        responses,
        responseRanges,
      });
    }
  }
  return operations;
}

function newAjv(coerceTypes: false | "array"): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, coerceTypes, strict: true, strictTypes: false });
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
  addFormats(ajv);
  return ajv;
}

/** One object schema over `{path, query, header}` so a request's parameters validate in one call. */
function parameterSchema(parameters: ParameterSpec[]): Json {
  const group = (location: ParameterSpec["in"], closed: boolean): Json => {
    const list = parameters.filter((p) => p.in === location);
    const key = (name: string) => (location === "header" ? name.toLowerCase() : name);
    return {
      type: "object",
      properties: Object.fromEntries(list.map((p) => [key(p.name), p.schema])),
      required: list.filter((p) => p.required).map((p) => key(p.name)),
      additionalProperties: !closed,
    };
  };
  return {
    type: "object",
    properties: { path: group("path", true), query: group("query", true), header: group("header", false) },
  };
}

function pathMatcher(template: string): (path: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === "{" || c === "}" ? c : `\\${c}`));
  const regex = new RegExp(
    `^${pattern.replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return (path) => {
    const match = regex.exec(path);
    if (match === null) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? "")]));
  };
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === "$ref" && typeof value === "string"
        ? [key, value.replace("#/components/schemas/", SCHEMA_BASE)]
        : [key, rewriteRefs(value)],
    ),
  );
}
