import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CloudCancelledError,
  CloudDeadlineError,
  CloudGaveUpError,
  CloudTransportError,
} from "../../src/cloud/call-errors.js";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import { kindOfProblem, toDomainError } from "../../src/providers/ballast/error-mapping.js";
import { BallastError } from "../../src/shared/errors.js";

describe("problem code → error kind table", () => {
  const cases: Array<[string, number, string]> = [
    ["not_found", 404, "NotFound"],
    ["already_exists", 409, "AlreadyExists"],
    ["idempotency_key_mismatch", 422, "AlreadyExists"],
    ["conflict", 409, "Aborted"],
    ["invalid_argument", 400, "InvalidArgument"],
    ["out_of_range", 400, "OutOfRange"],
    ["quota_exceeded", 422, "ResourceExhausted"],
    ["insufficient_capacity", 422, "ResourceExhausted"],
    ["attach_limit_exceeded", 409, "ResourceExhausted"],
    ["volume_in_use", 409, "FailedPrecondition"],
    ["local_attach_unavailable", 422, "FailedPrecondition"],
    ["zone_mismatch", 422, "FailedPrecondition"],
    ["invalid_page_token", 400, "Aborted"],
    ["rate_limited", 429, "Unavailable"],
    ["unavailable", 503, "Unavailable"],
    ["unauthorized", 401, "Internal"],
    ["forbidden", 403, "Internal"],
    ["internal", 500, "Internal"],
    ["method_not_allowed", 405, "Internal"],
  ];
  for (const [code, status, kind] of cases) {
    test(`${code} → ${kind}`, () => {
      assert.equal(kindOfProblem(code, status), kind);
    });
  }

  test("an unknown code falls back to its HTTP status", () => {
    assert.equal(kindOfProblem("brand_new_code", 404), "NotFound");
    assert.equal(kindOfProblem("brand_new_code", 503), "Unavailable");
  });

  test("an unknown code with an unlisted status maps by status class (4xx, 5xx)", () => {
    assert.equal(kindOfProblem("brand_new_code", 418), "InvalidArgument");
    assert.equal(kindOfProblem("brand_new_code", 599), "Unavailable");
  });
});

describe("toDomainError", () => {
  test("an API answer keeps the cloud's message and takes the kind of its code", () => {
    const cloud = new CloudApiError("deleteVolume", 409, "volume_in_use", "attached to i-00000000000000aa");
    assert.deepEqual(
      toDomainError(cloud),
      new BallastError(
        "FailedPrecondition",
        "cloud deleteVolume: 409 volume_in_use: attached to i-00000000000000aa",
      ),
    );
  });

  test("says the driver's credentials were rejected without repeating the server's detail", () => {
    const error = toDomainError(
      new CloudApiError("getVolume", 403, "forbidden", "token abc123 is not valid"),
    );
    assert.deepEqual(
      error,
      new BallastError(
        "Internal",
        "cloud getVolume: the block-storage API rejected the driver's credentials (403 forbidden)",
      ),
    );
  });

  test("a call given up on after a transient failure is Unavailable, whatever the last status", () => {
    const last = new CloudApiError("listZones", 500, "internal", "oops");
    assert.deepEqual(
      toDomainError(new CloudGaveUpError("retries_exhausted", 3, last, "GET")),
      new BallastError("Unavailable", "cloud listZones: 500 internal: oops (gave up after 3 attempts)"),
    );
  });

  test("no response is Unavailable", () => {
    const error = toDomainError(new CloudTransportError("listZones", "tls", "self-signed certificate"));
    assert.deepEqual(error, new BallastError("Unavailable", "cloud listZones: tls: self-signed certificate"));
  });

  test("the deadline is DeadlineExceeded and a cancelled call Unavailable", () => {
    assert.deepEqual(
      toDomainError(new CloudDeadlineError("getVolume", "cloud getVolume", "request still in flight")),
      new BallastError(
        "DeadlineExceeded",
        "cloud getVolume: deadline exceeded; last error: request still in flight",
      ),
    );
    assert.deepEqual(
      toDomainError(new CloudCancelledError("getVolume")),
      new BallastError("Unavailable", "cloud getVolume: cancelled"),
    );
  });

  test("an error that is not the cloud's passes unchanged", () => {
    const bug = new TypeError("x is undefined");
    assert.equal(toDomainError(bug), bug);
  });
});
