import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudDeadlineError } from "../../src/cloud/call-errors.js";
import { type CallDescription, CallRunner, type RetryPolicy } from "../../src/cloud/call-runner.js";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import { RequestRateLimiter } from "../../src/cloud/rate-limiter.js";

/*
 * The wait between attempts, against a hand-moved clock: the runner's sleep records what it was
 * asked to wait and moves the clock by it. With the initial and the largest delay equal, the
 * randomized backoff of the first retry is exactly that delay.
 */

const START = 1_000_000;
const GET_VOLUME: CallDescription = { operation: "getVolume", method: "GET" };

function unavailableFor(retryAfterMs?: number): CloudApiError {
  return new CloudApiError("getVolume", 503, "unavailable", "maintenance", retryAfterMs);
}

/** A runner whose first retry backs off exactly `backoffMs`, and the waits it took. */
function runnerBackingOff(backoffMs: number) {
  const clock = { now: START };
  const waits: number[] = [];
  const now = () => clock.now;
  const retry: RetryPolicy = {
    maxRetries: 3,
    initialDelayMs: backoffMs,
    maxDelayMs: backoffMs,
    multiplier: 2,
  };
  const runner = new CallRunner({
    limiter: new RequestRateLimiter({ qps: 1000, burst: 1000, now }),
    retry,
    now,
    sleep: async (ms) => {
      waits.push(ms);
      clock.now += ms;
    },
  });
  return { runner, waits, clock };
}

/** Fails the first attempt with `firstFailure`, answers 200 to the next; the attempts made. */
function failingOnce(firstFailure: CloudApiError) {
  let attempts = 0;
  const attempt = async () => {
    attempts += 1;
    if (attempts === 1) throw firstFailure;
    return { data: "volume", response: new Response(null, { status: 200 }) };
  };
  return { attempt, attempts: () => attempts };
}

describe("CallRunner's wait before the next attempt", () => {
  test("a Retry-After longer than the backoff is the whole wait", async () => {
    const { runner, waits } = runnerBackingOff(200);
    const { attempt } = failingOnce(unavailableFor(1_000));
    const result = await runner.run(GET_VOLUME, { deadline: START + 10_000 }, attempt);
    assert.equal(result.data, "volume");
    assert.deepEqual(waits, [1_000]);
  });

  test("a backoff longer than the Retry-After is the whole wait", async () => {
    const { runner, waits } = runnerBackingOff(900);
    const { attempt } = failingOnce(unavailableFor(100));
    await runner.run(GET_VOLUME, { deadline: START + 10_000 }, attempt);
    assert.deepEqual(waits, [900]);
  });

  test("a Retry-After within the deadline and a backoff beyond it fail the call at once", async () => {
    const { runner, waits, clock } = runnerBackingOff(1_500);
    const { attempt, attempts } = failingOnce(unavailableFor(1_000));
    const error = await runner.run(GET_VOLUME, { deadline: START + 1_200 }, attempt).catch((e: unknown) => e);
    assert.ok(error instanceof CloudDeadlineError, `expected a CloudDeadlineError, got ${String(error)}`);
    assert.equal(
      error.message,
      "cloud getVolume: deadline exceeded; last error: 503 unavailable: maintenance (next attempt in 1500 ms, 1200 ms left)",
    );
    assert.deepEqual(waits, []);
    assert.equal(clock.now, START);
    assert.equal(attempts(), 1);
  });

  test("a backoff beyond the deadline fails the call at once when the server gives no hint", async () => {
    const { runner, waits, clock } = runnerBackingOff(5_000);
    const { attempt, attempts } = failingOnce(unavailableFor());
    const error = await runner.run(GET_VOLUME, { deadline: START + 2_000 }, attempt).catch((e: unknown) => e);
    assert.ok(error instanceof CloudDeadlineError, `expected a CloudDeadlineError, got ${String(error)}`);
    assert.equal(
      error.message,
      "cloud getVolume: deadline exceeded; last error: 503 unavailable: maintenance (next attempt in 5000 ms, 2000 ms left)",
    );
    assert.deepEqual(waits, []);
    assert.equal(clock.now, START);
    assert.equal(attempts(), 1);
  });
});
