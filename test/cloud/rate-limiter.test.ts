import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudDeadlineError } from "../../src/cloud/call-errors.js";
import { RequestRateLimiter } from "../../src/cloud/rate-limiter.js";
import { Metrics } from "../../src/observability/metrics.js";
import { BallastError } from "../../src/shared/errors.js";
import { metricValue } from "./scripted-server.js";

describe("RequestRateLimiter", () => {
  test("lets a full burst through, then refuses a token that cannot come before the deadline", async () => {
    const limiter = new RequestRateLimiter({ qps: 0.1, burst: 3 });
    const deadline = Date.now() + 100;
    for (let i = 0; i < 3; i += 1) await limiter.acquire("getVolume", deadline);
    await assert.rejects(limiter.acquire("getVolume", deadline), (error: unknown) => {
      assert.ok(error instanceof CloudDeadlineError);
      assert.match(
        error.message,
        /^cloud getVolume: deadline exceeded; last error: rate limited: next request slot in \d+ ms, \d+ ms left$/,
      );
      return true;
    });
  });

  test("holds a request beyond the burst until the next slot, and counts the wait", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const metrics = new Metrics({ defaultMetrics: false });
    // A frozen clock: the schedule is read from it, the wait is a (mocked) timer.
    const frozen = 1_000_000;
    const limiter = new RequestRateLimiter({ qps: 50, burst: 1, metrics, now: () => frozen });
    const deadline = frozen + 5_000;
    await limiter.acquire("getVolume", deadline);
    let second = false;
    const waiting = limiter.acquire("getVolume", deadline).then(() => {
      second = true;
    });
    await flushMicrotasks();
    assert.equal(second, false, "the second request went out inside the first one's 20 ms slot");
    t.mock.timers.tick(19);
    await flushMicrotasks();
    assert.equal(second, false, "the second request went out 1 ms before its slot");
    t.mock.timers.tick(1);
    await waiting;
    assert.equal(await metricValue(metrics, "ballast_cloud_rate_limiter_wait_seconds"), 2);
  });

  test("a waiter whose signal fires gives up with the signal's reason", async () => {
    const limiter = new RequestRateLimiter({ qps: 0.1, burst: 1 });
    await limiter.acquire("getVolume", Date.now() + 60_000);
    const controller = new AbortController();
    const waiting = limiter.acquire("getVolume", Date.now() + 60_000, controller.signal);
    controller.abort(new Error("rpc cancelled"));
    await assert.rejects(waiting, /rpc cancelled/);
  });

  test("serves waiting callers in the order they arrived", async () => {
    const limiter = new RequestRateLimiter({ qps: 100, burst: 1 });
    const deadline = Date.now() + 5_000;
    const served: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((caller) => limiter.acquire("getVolume", deadline).then(() => served.push(caller))),
    );
    assert.deepEqual(served, [0, 1, 2, 3, 4]);
  });

  test("a hundred waiting callers set one timer each", async (t) => {
    // A frozen clock: a millisecond passing while the callers queue up would spare one its wait.
    const frozen = Date.now();
    const limiter = new RequestRateLimiter({ qps: 1000, burst: 1, now: () => frozen });
    const deadline = frozen + 5_000;
    const timers = t.mock.method(globalThis, "setTimeout");
    await Promise.all(Array.from({ length: 100 }, () => limiter.acquire("getVolume", deadline)));
    assert.equal(timers.mock.callCount(), 99);
  });

  test("a caller refused for its deadline takes no slot from the next caller", async () => {
    const limiter = new RequestRateLimiter({ qps: 10, burst: 1 });
    await limiter.acquire("getVolume", Date.now() + 5_000);
    await assert.rejects(limiter.acquire("getVolume", Date.now() + 50), CloudDeadlineError);
    await limiter.acquire("getVolume", Date.now() + 150);
  });

  test("the slot of the last waiting caller that gives up goes to the next caller", async () => {
    const limiter = new RequestRateLimiter({ qps: 10, burst: 1 });
    await limiter.acquire("getVolume", Date.now() + 5_000);
    const controller = new AbortController();
    const giving = limiter.acquire("getVolume", Date.now() + 5_000, controller.signal);
    controller.abort(new Error("rpc cancelled"));
    await assert.rejects(giving, /rpc cancelled/);
    await limiter.acquire("getVolume", Date.now() + 150);
  });

  test("the slot of a waiting caller that gives up ahead of others goes to the next caller", async () => {
    const limiter = new RequestRateLimiter({ qps: 10, burst: 1 });
    await limiter.acquire("getVolume", Date.now() + 5_000);
    const controller = new AbortController();
    const giving = limiter.acquire("getVolume", Date.now() + 5_000, controller.signal);
    const behind = limiter.acquire("getVolume", Date.now() + 5_000);
    controller.abort(new Error("rpc cancelled"));
    await assert.rejects(giving, /rpc cancelled/);
    const served: string[] = [];
    await Promise.all([
      behind.then(() => served.push("behind")),
      limiter.acquire("getVolume", Date.now() + 150).then(() => served.push("newcomer")),
    ]);
    assert.deepEqual(served, ["newcomer", "behind"]);
  });

  test("rejects a non-positive qps naming the field", () => {
    assert.throws(
      () => new RequestRateLimiter({ qps: 0, burst: 1 }),
      new BallastError("InvalidArgument", "qps: 0 must be a positive number"),
    );
  });

  test("rejects a fractional burst naming the field", () => {
    assert.throws(
      () => new RequestRateLimiter({ qps: 5, burst: 1.5 }),
      new BallastError("InvalidArgument", "burst: 1.5 must be an integer ≥ 1"),
    );
  });
});

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}
