import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InFlightLocks } from "../../src/shared/inflight-locks.js";

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

  test("operations sharing a key run together, each holding its own key exclusively", async () => {
    const locks = new InFlightLocks();
    const g = gate();
    const shared = { exclusive: ["volume a on node 1"], shared: ["volume a"] };
    const first = locks.run("ControllerPublishVolume", shared, () => g.opened.then(() => "node 1"));
    const second = await locks.run(
      "ControllerPublishVolume",
      { exclusive: ["volume a on node 2"], shared: ["volume a"] },
      async () => "node 2",
    );
    await assert.rejects(
      locks.run("ControllerPublishVolume", shared, async () => "again"),
      {
        kind: "Aborted",
        message: "an operation for volume a on node 1 is already in progress",
      },
    );
    g.open();
    assert.deepEqual([await first, second], ["node 1", "node 2"]);
    assert.equal(locks.isHeld("volume a"), false);
  });

  test("an exclusive holder of a key refuses those who would share it, and the other way round", async () => {
    const locks = new InFlightLocks();
    const g = gate();
    const sharing = locks.run(
      "ControllerPublishVolume",
      { exclusive: ["volume a on node 1"], shared: ["volume a"] },
      () => g.opened,
    );
    await assert.rejects(
      locks.run("DeleteVolume", ["volume a"], async () => {}),
      {
        kind: "Aborted",
        message: "an operation for volume a is already in progress",
      },
    );
    g.open();
    await sharing;
    const h = gate();
    const deleting = locks.run("DeleteVolume", ["volume a"], () => h.opened);
    await assert.rejects(
      locks.run(
        "ControllerPublishVolume",
        { exclusive: ["volume a on node 1"], shared: ["volume a"] },
        async () => {},
      ),
      { kind: "Aborted", message: "an operation for volume a is already in progress" },
    );
    h.open();
    await deleting;
  });
});
