import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FINISHED_OPERATION_RETENTION_MS } from "../../src/cloud-sim/state.js";
import { cloudOnAClock } from "./bare-engine.js";

/** The cloud on a clock, with volume creates and snapshot group creates and deletes. */
function groupsOnAClock() {
  const cloud = cloudOnAClock();
  const createVolume = (name: string) =>
    cloud.finished(cloud.engine.createVolume({ name, zone: "ref-1a", sizeBytes: 1024 ** 3 }, undefined));
  const createGroup = (name: string, sourceVolumeIds: string[]) =>
    cloud.finished(cloud.engine.createSnapshotGroup({ name, sourceVolumeIds }));
  const deleteGroup = (groupId: string) => cloud.finished(cloud.engine.deleteSnapshotGroup(groupId));
  return { ...cloud, createVolume, createGroup, deleteGroup };
}

describe("A snapshot group's create operation", () => {
  test("is still the answer to a create by the group's name long after it finished", async () => {
    const { clock, engine, runner, createVolume, createGroup } = groupsOnAClock();
    const volume = await createVolume("pvc-data");
    const created = await createGroup("nightly", [volume.resourceId]);
    clock.now += FINISHED_OPERATION_RETENTION_MS;
    await createVolume("pvc-prunes");
    const again = await engine.createSnapshotGroup({ name: "nightly", sourceVolumeIds: [volume.resourceId] });
    assert.equal(again.operation.id, created.id);
    assert.equal(again.operation.status, "succeeded");
    await runner.close();
  });

  test("is dropped once older than the retention after its group is deleted", async () => {
    const { clock, engine, runner, createVolume, createGroup, deleteGroup } = groupsOnAClock();
    const volume = await createVolume("pvc-data");
    const created = await createGroup("nightly", [volume.resourceId]);
    await deleteGroup(created.resourceId);
    clock.now += FINISHED_OPERATION_RETENTION_MS;
    await createVolume("pvc-prunes");
    assert.throws(() => engine.getOperation(created.id), { code: "not_found" });
    await runner.close();
  });
});
