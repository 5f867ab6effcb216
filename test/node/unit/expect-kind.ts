import assert from "node:assert/strict";
import { BallastError, type ErrorKind } from "../../../src/shared/errors.js";

/** Asserts the promise rejects with a BallastError of this kind whose message matches; returns the message. */
export async function rejectsWithKind(
  promise: Promise<unknown>,
  kind: ErrorKind,
  message: RegExp,
): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BallastError, `expected a BallastError, got ${String(error)}`);
    assert.equal(error.kind, kind, `expected ${kind}, got ${error.kind}: ${error.message}`);
    assert.match(error.message, message);
    return error.message;
  }
  assert.fail(`expected ${kind}, but the call succeeded`);
}
