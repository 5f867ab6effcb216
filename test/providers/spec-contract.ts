import {
  type Context,
  type ContractOptions,
  type Json,
  type Mismatch,
  matchingStatus,
  type OpenApiDocument,
  operationsOf,
} from "./openapi-document.js";
import { compareSchemas, node } from "./schema-compare.js";

/**
 * Holds a provider description we wrote (OpenAPI 3.1) against the cloud's published one (OpenAPI
 * 3.0): every operation, parameter, body field and status we declare must be there with the same
 * type, format, enum, bounds, nullability and required-ness. Declaring less than the reference is
 * fine; declaring anything different or extra is a mismatch.
 */
export function compareDescriptions(
  mine: OpenApiDocument,
  reference: OpenApiDocument,
  options: ContractOptions = {},
): Mismatch[] {
  const out: Mismatch[] = [];
  compareServers(mine, reference, out);
  compareSecurity(mine, reference, out);
  for (const { method, path, operation } of operationsOf(mine)) {
    const where = `${method.toUpperCase()} ${path}`;
    const refItem = (reference.raw.paths as Record<string, Json>)[path];
    if (refItem === undefined) {
      out.push({ where, problem: "path not in the reference" });
      continue;
    }
    const refOperation = refItem[method] as Json | undefined;
    if (refOperation === undefined) {
      out.push({ where, problem: "method not in the reference for this path" });
      continue;
    }
    if (operation.operationId !== refOperation.operationId) {
      out.push({
        where,
        problem: `operationId ${String(operation.operationId)}, reference ${String(refOperation.operationId)}`,
      });
    }
    const ctx = { mine, reference, out };
    const myItem = (mine.raw.paths as Record<string, Json>)[path] as Json;
    compareParameters(ctx, where, [myItem, operation], [refItem, refOperation]);
    compareRequestBody(ctx, where, operation, refOperation);
    compareResponses(ctx, where, operation, refOperation, options);
  }
  return out;
}

function compareServers(mine: OpenApiDocument, reference: OpenApiDocument, out: Mismatch[]): void {
  const urls = new Set<string>();
  const collect = (servers: unknown) => {
    for (const server of (servers ?? []) as Json[]) urls.add(String(server.url));
  };
  collect(reference.raw.servers);
  for (const item of Object.values((reference.raw.paths ?? {}) as Record<string, Json>))
    collect(item.servers);
  for (const server of (mine.raw.servers ?? []) as Json[]) {
    if (!urls.has(String(server.url))) {
      out.push({ where: "servers", problem: `${String(server.url)} is not a server of the reference` });
    }
  }
}

function compareSecurity(mine: OpenApiDocument, reference: OpenApiDocument, out: Mismatch[]): void {
  const schemes = (doc: OpenApiDocument) =>
    Object.values(
      ((doc.raw.components as Json | undefined)?.securitySchemes ?? {}) as Record<string, Json>,
    ).map((s) => `${String(s.type)} ${String(s.scheme).toLowerCase()}`);
  const theirs = new Set(schemes(reference));
  for (const scheme of schemes(mine)) {
    if (!theirs.has(scheme))
      out.push({ where: "securitySchemes", problem: `${scheme} not in the reference` });
  }
}

function compareParameters(
  ctx: Context,
  where: string,
  mineAt: [item: Json, operation: Json],
  refAt: [item: Json, operation: Json],
): void {
  const list = (doc: OpenApiDocument, item: Json, op: Json) =>
    [...((item.parameters ?? []) as Json[]), ...((op.parameters ?? []) as Json[])].map((p) => doc.resolve(p));
  const mine = list(ctx.mine, ...mineAt);
  const theirs = list(ctx.reference, ...refAt);
  for (const param of mine) {
    const at = `${where} ${String(param.in)} parameter ${String(param.name)}`;
    const match = theirs.find((p) => p.name === param.name && p.in === param.in);
    if (match === undefined) {
      ctx.out.push({ where: at, problem: "not in the reference" });
      continue;
    }
    if ((param.required === true) !== (match.required === true)) {
      ctx.out.push({
        where: at,
        problem: `required ${param.required === true}, reference ${match.required === true}`,
      });
    }
    compareSchemas(ctx, at, node(ctx.mine, param.schema), node(ctx.reference, match.schema));
  }
  for (const param of theirs) {
    if (param.required !== true || mine.some((p) => p.name === param.name && p.in === param.in)) continue;
    ctx.out.push({
      where: `${where} ${String(param.in)} parameter ${String(param.name)}`,
      problem: "required by the reference but not declared",
    });
  }
}

function compareRequestBody(ctx: Context, where: string, operation: Json, refOperation: Json): void {
  const at = `${where} request body`;
  const mine = operation.requestBody === undefined ? undefined : ctx.mine.resolve(operation.requestBody);
  const theirs =
    refOperation.requestBody === undefined ? undefined : ctx.reference.resolve(refOperation.requestBody);
  if (mine === undefined) {
    if (theirs?.required === true)
      ctx.out.push({ where: at, problem: "required by the reference but not declared" });
    return;
  }
  if (theirs === undefined) {
    ctx.out.push({ where: at, problem: "not in the reference" });
    return;
  }
  if ((mine.required === true) !== (theirs.required === true)) {
    ctx.out.push({
      where: at,
      problem: `required ${mine.required === true}, reference ${theirs.required === true}`,
    });
  }
  compareContent({ ...ctx, request: true }, at, mine, theirs);
}

function compareResponses(
  ctx: Context,
  where: string,
  operation: Json,
  refOperation: Json,
  options: ContractOptions,
): void {
  const theirs = (refOperation.responses ?? {}) as Json;
  for (const [status, raw] of Object.entries((operation.responses ?? {}) as Json)) {
    const at = `${where} ${status}`;
    const refStatus = matchingStatus(theirs, status);
    if (refStatus === undefined) {
      ctx.out.push({ where: at, problem: "status not declared by the reference" });
      continue;
    }
    const mine = ctx.mine.resolve(raw);
    const reference = ctx.reference.resolve(theirs[refStatus]);
    compareContent(ctx, `${at} body`, mine, reference);
    compareHeaders(ctx, at, mine, reference, options);
  }
}

function compareContent(ctx: Context, where: string, mine: Json, theirs: Json): void {
  const mineContent = (mine.content ?? {}) as Record<string, Json>;
  const refContent = (theirs.content ?? {}) as Record<string, Json>;
  if (Object.keys(mineContent).length === 0 && Object.keys(refContent).length > 0) {
    ctx.out.push({ where, problem: "the reference has a body here" });
  }
  for (const [media, value] of Object.entries(mineContent)) {
    const match = refContent[media];
    if (match === undefined) {
      ctx.out.push({ where, problem: `media type ${media} not in the reference` });
      continue;
    }
    compareSchemas(ctx, where, node(ctx.mine, value.schema), node(ctx.reference, match.schema));
  }
}

function compareHeaders(
  ctx: Context,
  where: string,
  mine: Json,
  theirs: Json,
  options: ContractOptions,
): void {
  const refHeaders = Object.entries((theirs.headers ?? {}) as Record<string, Json>);
  const exempt = new Set((options.headersNotInReference ?? []).map((h) => h.toLowerCase()));
  for (const [name, header] of Object.entries((mine.headers ?? {}) as Record<string, Json>)) {
    const match = refHeaders.find(([n]) => n.toLowerCase() === name.toLowerCase());
    if (match === undefined) {
      if (!exempt.has(name.toLowerCase())) {
        ctx.out.push({ where: `${where} header ${name}`, problem: "not in the reference" });
      }
      continue;
    }
    const mineSchema = ctx.mine.resolve(header).schema;
    const refSchema = ctx.reference.resolve(match[1]).schema;
    compareSchemas(
      ctx,
      `${where} header ${name}`,
      node(ctx.mine, mineSchema),
      node(ctx.reference, refSchema),
    );
  }
}
