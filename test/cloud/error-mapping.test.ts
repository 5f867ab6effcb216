import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudApiError, decodeProblem, problemToError } from "../../src/cloud/cloud-api-error.js";
import { kindOfProblem, problemCodeOf, toBallastError } from "../../src/cloud/error-mapping.js";
import { BallastError } from "../../src/shared/errors.js";

describe("decodeProblem", () => {
  test("reads code, detail and Retry-After of a problem+json body", () => {
    const error = decodeProblem(
      "createVolume",
      429,
      new Headers({ "retry-after": "2" }),
      {
        type: "about:blank",
        title: "Too Many Requests",
        status: 429,
        code: "rate_limited",
        detail: "slow down",
      },
      0,
    );
    assert.equal(error.operation, "createVolume");
    assert.equal(error.status, 429);
    assert.equal(error.code, "rate_limited");
    assert.equal(error.detail, "slow down");
    assert.equal(error.retryAfterMs, 2_000);
    assert.equal(error.message, "cloud createVolume: 429 rate_limited: slow down");
  });

  test("falls back to the problem's retryAfterSeconds without a header", () => {
    const error = decodeProblem(
      "getVolume",
      503,
      new Headers(),
      { code: "unavailable", retryAfterSeconds: 3 },
      0,
    );
    assert.equal(error.retryAfterMs, 3_000);
  });

  test("uses the title when there is no detail", () => {
    const error = decodeProblem(
      "getVolume",
      404,
      new Headers(),
      { code: "not_found", title: "Not Found" },
      0,
    );
    assert.equal(error.detail, "Not Found");
  });

  test("derives the code from the status for a non-JSON body", () => {
    const error = decodeProblem("listVolumes", 502, new Headers(), "<html>Bad Gateway</html>", 0);
    assert.equal(error.code, "unavailable");
    assert.equal(error.detail, "<html>Bad Gateway</html>");
  });

  test("says the status when the body is empty", () => {
    const error = decodeProblem("listVolumes", 500, new Headers(), undefined, 0);
    assert.equal(error.code, "internal");
    assert.equal(error.detail, "HTTP 500");
  });

  test("problemToError decodes a failed operation's embedded problem", () => {
    const error = problemToError("operation op-1 (createVolume)", {
      status: 409,
      code: "quota_exceeded",
      detail: "zone ref-1a: no capacity",
    });
    assert.equal(error.status, 409);
    assert.equal(error.code, "quota_exceeded");
    assert.equal(error.detail, "zone ref-1a: no capacity");
  });
});

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

describe("toBallastError", () => {
  test("keeps the cloud's message and the CloudApiError as cause", () => {
    const cloud = new CloudApiError("deleteVolume", 409, "volume_in_use", "attached to i-00000000000000aa");
    const error = toBallastError(cloud);
    assert.ok(error instanceof BallastError);
    assert.equal(error.kind, "FailedPrecondition");
    assert.equal(error.message, "cloud deleteVolume: 409 volume_in_use: attached to i-00000000000000aa");
    assert.equal(error.cause, cloud);
    assert.equal(problemCodeOf(error), "volume_in_use");
  });

  test("says the driver's credentials were rejected without repeating the server's detail", () => {
    const error = toBallastError(
      new CloudApiError("getVolume", 403, "forbidden", "token abc123 is not valid"),
    );
    assert.equal(
      error.message,
      "cloud getVolume: the block-storage API rejected the driver's credentials (403 forbidden)",
    );
    assert.equal(error.message.includes("abc123"), false);
  });

  test("problemCodeOf is undefined for errors that did not come from the cloud", () => {
    assert.equal(problemCodeOf(new BallastError("Internal", "boom")), undefined);
    assert.equal(problemCodeOf(new Error("boom")), undefined);
  });
});
