import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { toGrpcStatus } from "../../src/csi/status.js";
import { BallastError, type ErrorKind } from "../../src/shared/errors.js";

describe("toGrpcStatus", () => {
  // A Record, so a new ErrorKind does not compile until its gRPC code is pinned here.
  const cases: Record<ErrorKind, status> = {
    InvalidArgument: status.INVALID_ARGUMENT,
    NotFound: status.NOT_FOUND,
    AlreadyExists: status.ALREADY_EXISTS,
    FailedPrecondition: status.FAILED_PRECONDITION,
    OutOfRange: status.OUT_OF_RANGE,
    ResourceExhausted: status.RESOURCE_EXHAUSTED,
    Aborted: status.ABORTED,
    Unavailable: status.UNAVAILABLE,
    DeadlineExceeded: status.DEADLINE_EXCEEDED,
    Unimplemented: status.UNIMPLEMENTED,
    PermissionDenied: status.PERMISSION_DENIED,
    Unauthenticated: status.UNAUTHENTICATED,
    Internal: status.INTERNAL,
  };
  for (const [kind, code] of Object.entries(cases) as Array<[ErrorKind, status]>) {
    test(`${kind} becomes ${status[code]} with the message`, () => {
      const mapped = toGrpcStatus(new BallastError(kind, `volume_id: "x" ${kind}`));
      assert.equal(mapped.code, code);
      assert.equal(mapped.details, `volume_id: "x" ${kind}`);
    });
  }

  test("an unexpected error becomes INTERNAL naming it", () => {
    const mapped = toGrpcStatus(new TypeError("x is undefined"));
    assert.equal(mapped.code, status.INTERNAL);
    assert.equal(mapped.details, "internal error: x is undefined");
  });
});
