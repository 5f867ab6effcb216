import assert from "node:assert/strict";
import { type OpenApiDocument, operationsOf } from "./openapi-document.js";
import { checkRequestBody, checkResponseExamples } from "./reference-examples.js";

/** A request body the provider sends, and the operation it goes to. */
interface SentBody {
  method: string;
  path: string;
  body: unknown;
}

/**
 * Fails unless the reference documents response examples for our operations and every one decodes
 * under our description. An empty set of examples would pass vacuously, so it fails too.
 */
export function assertExamplesDecode(ours: OpenApiDocument, reference: OpenApiDocument): void {
  const verdicts = checkResponseExamples(ours, reference);
  assert.ok(verdicts.length > 0, "the reference documents examples for these operations");
  assert.deepEqual(
    verdicts.filter((v) => v.ours.length > 0),
    [],
  );
}

/** Fails on the first body that either description refuses, naming its path. */
export function assertBodiesValidate(
  ours: OpenApiDocument,
  reference: OpenApiDocument,
  sent: SentBody[],
): void {
  for (const { method, path, body } of sent) {
    assert.deepEqual(
      checkRequestBody(ours, reference, method, path, body),
      { ours: true, reference: true },
      path,
    );
  }
}

/** `method path` of every operation in the description that takes a request body, in its order. */
export function operationsWithBody(doc: OpenApiDocument): string[] {
  return operationsOf(doc)
    .filter((o) => o.operation.requestBody !== undefined)
    .map((o) => `${o.method} ${o.path}`);
}
