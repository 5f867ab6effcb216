import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { toGrpcStatus } from "../../src/csi/status.js";
import { BallastError, type ErrorKind } from "../../src/shared/errors.js";

/** Every kind once; a Record, so a new ErrorKind does not compile until it is listed here. */
const KINDS: Record<ErrorKind, true> = {
  InvalidArgument: true,
  NotFound: true,
  AlreadyExists: true,
  FailedPrecondition: true,
  OutOfRange: true,
  ResourceExhausted: true,
  Aborted: true,
  Unavailable: true,
  DeadlineExceeded: true,
  Unimplemented: true,
  PermissionDenied: true,
  Unauthenticated: true,
  Internal: true,
};

/** The gRPC code a kind is named after: `FailedPrecondition` is `FAILED_PRECONDITION`. */
function codeNamed(kind: string): string {
  return kind.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

describe("toGrpcStatus", () => {
  for (const kind of Object.keys(KINDS) as ErrorKind[]) {
    test(`${kind} becomes the gRPC code of that name, ${codeNamed(kind)}, with the message`, () => {
      const mapped = toGrpcStatus(new BallastError(kind, `volume_id: "x" ${kind}`));
      assert.equal(status[mapped.code], codeNamed(kind));
      assert.equal(mapped.details, `volume_id: "x" ${kind}`);
    });
  }

  test("no two kinds share a gRPC code", () => {
    const codes = (Object.keys(KINDS) as ErrorKind[]).map(
      (kind) => toGrpcStatus(new BallastError(kind, "")).code,
    );
    assert.equal(new Set(codes).size, codes.length);
  });

  test("an unexpected error becomes INTERNAL naming it", () => {
    const mapped = toGrpcStatus(new TypeError("x is undefined"));
    assert.equal(mapped.code, status.INTERNAL);
    assert.equal(mapped.details, "internal error: x is undefined");
  });
});
