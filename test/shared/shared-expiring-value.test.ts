import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SharedExpiringValue } from "../../src/shared/shared-expiring-value.js";

describe("SharedExpiringValue", () => {
  test("callers that arrive during a fetch share it", async () => {
    const value = new SharedExpiringValue<number>(1000, () => 0);
    let fetches = 0;
    const fetch = async () => ++fetches;
    assert.deepEqual(await Promise.all([value.get(fetch), value.get(fetch), value.get(fetch)]), [1, 1, 1]);
    assert.equal(fetches, 1);
  });

  test("the value is remembered for ttlMs and fetched again once it expires", async () => {
    let now = 0;
    const value = new SharedExpiringValue<number>(1000, () => now);
    let fetches = 0;
    const fetch = async () => ++fetches;
    assert.equal(await value.get(fetch), 1);
    now = 999;
    assert.equal(await value.get(fetch), 1);
    now = 1000;
    assert.equal(await value.get(fetch), 2);
  });

  test("a failed fetch is not remembered: the next caller fetches again", async () => {
    const value = new SharedExpiringValue<string>(1000, () => 0);
    await assert.rejects(
      value.get(async () => {
        throw new Error("cloud down");
      }),
      { message: "cloud down" },
    );
    assert.equal(await value.get(async () => "up"), "up");
  });
});
