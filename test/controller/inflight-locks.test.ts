import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InFlightLocks } from "../../src/controller/inflight-locks.js";

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("InFlightLocks", () => {
  test("a second operation on a busy key is Aborted and reported", async () => {
    const conflicts: string[] = [];
    const locks = new InFlightLocks((method, key) => conflicts.push(`${method} ${key}`));
    const g = gate();
    const first = locks.run("CreateVolume", ["volume name a"], () => g.opened.then(() => "first"));
    await assert.rejects(
      locks.run("CreateVolume", ["volume name a"], async () => "second"),
      {
        kind: "Aborted",
        message: "an operation for volume name a is already in progress",
      },
    );
    g.open();
    assert.equal(await first, "first");
    assert.deepEqual(conflicts, ["CreateVolume volume name a"]);
  });

  test("operations on different keys run together", async () => {
    const locks = new InFlightLocks();
    const g = gate();
    const a = locks.run("DeleteVolume", ["volume a"], () => g.opened.then(() => "a"));
    const b = await locks.run("DeleteVolume", ["volume b"], async () => "b");
    g.open();
    assert.deepEqual([await a, b], ["a", "b"]);
  });

  test("the key is free again after the operation failed", async () => {
    const locks = new InFlightLocks();
    await assert.rejects(
      locks.run("DeleteVolume", ["volume a"], async () => Promise.reject(new Error("boom"))),
    );
    assert.equal(locks.isHeld("volume a"), false);
    assert.equal(await locks.run("DeleteVolume", ["volume a"], async () => "again"), "again");
  });
});
