import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeProblem, problemToError } from "../../src/cloud/cloud-api-error.js";

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
