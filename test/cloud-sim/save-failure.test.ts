import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveConfig } from "../../src/cloud-sim/config.js";
import { CloudEngine } from "../../src/cloud-sim/engine/index.js";
import { emptyState, type OperationRecord } from "../../src/cloud-sim/state.js";

/** A engine whose state saves fail while `failing` is set, recording the work it starts. */
function engineWithFlakySave() {
  const scheduled: OperationRecord[] = [];
  const disk = { failing: true };
  const engine = new CloudEngine({
    config: resolveConfig({ dataDir: "/nonexistent", localAttach: false }),
    state: emptyState(),
    save: async () => {
      if (disk.failing) throw new Error("ENOSPC: no space left on device");
    },
    schedule: (operation) => scheduled.push(operation),
    localAttach: () => ({ available: false, reason: "not in this test" }),
    byIdPath: (serial) => `/nonexistent/by-id/${serial}`,
    captures: { start: () => undefined, startGroup: () => undefined, settled: async () => undefined },
  });
  return { engine, scheduled, disk };
}

const CREATE = { name: "pvc-save-fails", zone: "ref-1a", sizeBytes: 1024 ** 3 };
const KEY = { key: "create-pvc-save-fails", fingerprint: "f1" };

describe("CloudEngine when the state cannot be saved", () => {
  test("a mutation whose save failed is refused and its work is not started yet", async () => {
    const { engine, scheduled } = engineWithFlakySave();
    await assert.rejects(engine.createVolume(CREATE, KEY), { message: "ENOSPC: no space left on device" });
    assert.deepEqual(scheduled, []);
  });

  test("the replay after a failed save starts the first request's work once a save succeeds", async () => {
    const { engine, scheduled, disk } = engineWithFlakySave();
    await assert.rejects(engine.createVolume(CREATE, KEY));
    disk.failing = false;
    const replay = await engine.createVolume(CREATE, KEY);
    assert.equal(replay.replayed, true);
    assert.deepEqual(
      scheduled.map((operation) => operation.id),
      [replay.operation.id],
    );
  });

  test("another mutation after a failed save starts the earlier work along with its own", async () => {
    const { engine, scheduled, disk } = engineWithFlakySave();
    await assert.rejects(engine.createVolume(CREATE, KEY));
    disk.failing = false;
    const other = await engine.createVolume({ ...CREATE, name: "pvc-after-the-failure" });
    assert.equal(scheduled.length, 2);
    assert.equal(scheduled[1]?.id, other.operation.id);
    assert.equal(scheduled[0]?.kind, "createVolume");
    assert.equal(scheduled[0]?.resourceId, engine.listVolumes({ limit: 10, name: CREATE.name }).items[0]?.id);
  });
});
