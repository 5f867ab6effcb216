import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudService } from "../../src/cloud-sim/cloud-service.js";
import { resolveConfig } from "../../src/cloud-sim/config.js";
import { emptyState, type OperationRecord } from "../../src/cloud-sim/state.js";

/** A service whose state saves fail while `failing` is set, recording the work it starts. */
function serviceWithFlakySave() {
  const scheduled: OperationRecord[] = [];
  const disk = { failing: true };
  const service = new CloudService({
    config: resolveConfig({ dataDir: "/nonexistent", localAttach: false }),
    state: emptyState(),
    save: async () => {
      if (disk.failing) throw new Error("ENOSPC: no space left on device");
    },
    schedule: (operation) => scheduled.push(operation),
    localAttach: () => ({ available: false, reason: "not in this test" }),
    byIdPath: (serial) => `/nonexistent/by-id/${serial}`,
  });
  return { service, scheduled, disk };
}

const CREATE = { name: "pvc-save-fails", zone: "ref-1a", sizeBytes: 1024 ** 3 };
const KEY = { key: "create-pvc-save-fails", fingerprint: "f1" };

describe("CloudService when the state cannot be saved", () => {
  test("a mutation whose save failed is refused and its work is not started yet", async () => {
    const { service, scheduled } = serviceWithFlakySave();
    await assert.rejects(service.createVolume(CREATE, KEY), { message: "ENOSPC: no space left on device" });
    assert.deepEqual(scheduled, []);
  });

  test("the replay after a failed save starts the first request's work once a save succeeds", async () => {
    const { service, scheduled, disk } = serviceWithFlakySave();
    await assert.rejects(service.createVolume(CREATE, KEY));
    disk.failing = false;
    const replay = await service.createVolume(CREATE, KEY);
    assert.equal(replay.replayed, true);
    assert.deepEqual(
      scheduled.map((operation) => operation.id),
      [replay.operation.id],
    );
  });

  test("another mutation after a failed save starts the earlier work along with its own", async () => {
    const { service, scheduled, disk } = serviceWithFlakySave();
    await assert.rejects(service.createVolume(CREATE, KEY));
    disk.failing = false;
    const other = await service.createVolume({ ...CREATE, name: "pvc-after-the-failure" });
    assert.equal(scheduled.length, 2);
    assert.equal(scheduled[1]?.id, other.operation.id);
    assert.equal(scheduled[0]?.kind, "createVolume");
    assert.equal(
      scheduled[0]?.resourceId,
      service.listVolumes({ limit: 10, name: CREATE.name }).items[0]?.id,
    );
  });
});
