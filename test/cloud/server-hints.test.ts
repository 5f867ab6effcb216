import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parsePollAfterMs, parseRetryAfterMs, serverHintMs } from "../../src/cloud/server-hints.js";

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  test("reads delta-seconds", () => {
    assert.equal(parseRetryAfterMs("3", now), 3_000);
    assert.equal(parseRetryAfterMs(" 0 ", now), 0);
  });

  test("reads an HTTP-date relative to now", () => {
    assert.equal(parseRetryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now), 5_000);
  });

  test("treats an HTTP-date in the past as no wait", () => {
    assert.equal(parseRetryAfterMs("Wed, 31 Dec 2025 23:59:00 GMT", now), 0);
  });

  test("ignores absent, negative and garbage values", () => {
    assert.equal(parseRetryAfterMs(null, now), undefined);
    assert.equal(parseRetryAfterMs("-1", now), undefined);
    assert.equal(parseRetryAfterMs("soon", now), undefined);
  });
});

describe("server hints", () => {
  test("Poll-After-Ms is read as milliseconds", () => {
    assert.equal(parsePollAfterMs("250"), 250);
    assert.equal(parsePollAfterMs("2.5"), undefined);
  });

  test("Poll-After-Ms wins over the coarser Retry-After", () => {
    const headers = new Headers({ "retry-after": "1", "poll-after-ms": "120" });
    assert.equal(serverHintMs(headers, 0), 120);
  });

  test("Retry-After is used when Poll-After-Ms is absent", () => {
    assert.equal(serverHintMs(new Headers({ "retry-after": "2" }), 0), 2_000);
  });

  test("no headers, no hint", () => {
    assert.equal(serverHintMs(new Headers(), 0), undefined);
  });
});
