import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudReadiness } from "../../src/csi/cloud-readiness.js";

describe("CloudReadiness", () => {
  test("a failing cloud is not ready, and the failure is reported once", async () => {
    const failures: unknown[] = [];
    const readiness = new CloudReadiness(
      async () => Promise.reject(new Error("connection refused")),
      1000,
      () => 0,
      (error) => failures.push(error),
    );
    assert.equal(await readiness.ready(), false);
    assert.equal(await readiness.ready(), false);
    assert.equal(failures.length, 1);
  });

  test("answers from the cache until it expires", async () => {
    let now = 0;
    let calls = 0;
    const readiness = new CloudReadiness(
      async () => {
        calls++;
      },
      1000,
      () => now,
    );
    await readiness.ready();
    now = 999;
    await readiness.ready();
    now = 1000;
    await readiness.ready();
    assert.equal(calls, 2);
  });

  test("concurrent probes share one check", async () => {
    let calls = 0;
    const readiness = new CloudReadiness(async () => {
      calls++;
    });
    const answers = await Promise.all([readiness.ready(), readiness.ready(), readiness.ready()]);
    assert.deepEqual(answers, [true, true, true]);
    assert.equal(calls, 1);
  });
});
