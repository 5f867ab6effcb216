import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudDeadlineError } from "../../src/cloud/call-errors.js";
import { type AttemptResult, type CallDescription, CallRunner } from "../../src/cloud/call-runner.js";
import { RequestRateLimiter } from "../../src/cloud/rate-limiter.js";

/*
 * The call runner against a scripted transport and a hand-moved clock. The deadline signal is a
 * real timer, set from the fake clock's remaining time, so each test leaves it a millisecond or
 * two; the transport decides what it fails with once that signal has fired.
 */

const START = 1_000_000;
const GET_VOLUME: CallDescription = { operation: "getVolume", method: "GET" };
const REFUSED_MESSAGE = "connect ECONNREFUSED 127.0.0.1:8787";

/** What the transport rejects with when nothing listens on the port. */
function connectionRefused(): Error {
  return Object.assign(new Error(REFUSED_MESSAGE), { code: "ECONNREFUSED" });
}

/** Resolves when `signal` fires; the deadline's timer is unref'd, so this one keeps the test alive. */
function abortOf(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const keepAlive = setInterval(() => {}, 1_000);
    signal.addEventListener(
      "abort",
      () => {
        clearInterval(keepAlive);
        resolve();
      },
      { once: true },
    );
  });
}

function runner(clock: { now: number }, limiter?: RequestRateLimiter): CallRunner {
  const now = () => clock.now;
  return new CallRunner({
    limiter: limiter ?? new RequestRateLimiter({ qps: 1000, burst: 1000, now }),
    retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 },
    now,
  });
}

/** Runs attempt `n` (1-based) with `attempts[n - 1]` and answers the error the call ends with. */
async function deadlineFailure(
  callRunner: CallRunner,
  deadline: number,
  attempts: ((signal: AbortSignal) => Promise<AttemptResult<unknown>>)[],
): Promise<{ error: CloudDeadlineError; attempts: number }> {
  let made = 0;
  try {
    await callRunner.run(GET_VOLUME, { deadline }, (signal) => {
      const next = attempts[made++];
      if (next === undefined) throw new Error(`attempt ${made} was not expected`);
      return next(signal);
    });
  } catch (error) {
    assert.ok(error instanceof CloudDeadlineError, `expected a CloudDeadlineError, got ${String(error)}`);
    return { error, attempts: made };
  }
  assert.fail("expected the call to fail");
}

describe("CallRunner at the deadline", () => {
  test("a connection refused as the deadline fires ends the call naming the refusal", async () => {
    const clock = { now: START };
    const deadline = START + 1;
    const { error, attempts } = await deadlineFailure(runner(clock), deadline, [
      async (signal) => {
        clock.now = deadline + 1;
        await abortOf(signal);
        throw connectionRefused();
      },
    ]);
    assert.equal(
      error.message,
      `cloud getVolume: deadline exceeded; last error: connection_refused: ${REFUSED_MESSAGE}`,
    );
    assert.equal(attempts, 1);
  });

  test("a request the deadline aborts is reported as still in flight", async () => {
    const clock = { now: START };
    const deadline = START + 1;
    const { error } = await deadlineFailure(runner(clock), deadline, [
      async (signal) => {
        clock.now = deadline + 1;
        await abortOf(signal);
        throw signal.reason;
      },
    ]);
    assert.equal(
      error.message,
      "cloud getVolume: deadline exceeded; last error: request still in flight at the deadline",
    );
  });

  test("a request in flight at the deadline after a refused attempt names the refusal", async () => {
    const clock = { now: START };
    const deadline = START + 10_000;
    const { error, attempts } = await deadlineFailure(runner(clock), deadline, [
      async () => {
        // Room for the 1 ms backoff and the retry to start, no more.
        clock.now = deadline - 2;
        throw connectionRefused();
      },
      async (signal) => {
        clock.now = deadline + 1;
        await abortOf(signal);
        throw signal.reason;
      },
    ]);
    assert.equal(
      error.message,
      "cloud getVolume: deadline exceeded; last error: request still in flight at the deadline " +
        `(previous attempt: connection_refused: ${REFUSED_MESSAGE})`,
    );
    assert.equal(attempts, 2);
  });

  test("a deadline reached waiting for a request slot after a refused attempt names the refusal", async () => {
    const clock = { now: START };
    const deadline = START + 500;
    // One request a second: the retry's slot comes a second after the first, past the deadline.
    const limiter = new RequestRateLimiter({ qps: 1, burst: 1, now: () => clock.now });
    const { error, attempts } = await deadlineFailure(runner(clock, limiter), deadline, [
      async () => {
        throw connectionRefused();
      },
    ]);
    assert.equal(
      error.message,
      "cloud getVolume: deadline exceeded; last error: rate limited: next request slot in 1000 ms, 500 ms left " +
        `(previous attempt: connection_refused: ${REFUSED_MESSAGE})`,
    );
    assert.equal(attempts, 1);
  });
});
