import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveConfig } from "../../src/cloud-sim/config.js";
import { CloudEngine, SnapshotCaptures } from "../../src/cloud-sim/engine/index.js";
import type { LoopDevices } from "../../src/cloud-sim/loop-devices.js";
import { OperationRunner } from "../../src/cloud-sim/operation-runner.js";
import {
  emptyState,
  FINISHED_OPERATION_RETENTION_MS,
  type OperationRecord,
} from "../../src/cloud-sim/state.js";
import type { VolumeFiles } from "../../src/cloud-sim/volume-files.js";

/** The cloud's rules and its operation runner on a hand-moved clock, with files that cost nothing. */
function cloudOnAClock() {
  const clock = { now: 1_000_000 };
  const state = emptyState();
  const files = {
    volumePath: (volumeId: string) => `/nonexistent/volumes/${volumeId}.img`,
    snapshotPath: (snapshotId: string) => `/nonexistent/snapshots/${snapshotId}.img`,
    partialSnapshotPath: (snapshotId: string) => `/nonexistent/snapshots/${snapshotId}.img.partial`,
    createEmpty: async () => {},
    exists: async () => true,
    remove: async () => {},
  } as unknown as VolumeFiles;
  const runner = new OperationRunner({
    state,
    save: async () => {},
    files,
    loops: {} as LoopDevices,
    captures: new SnapshotCaptures(files),
    isLocal: () => false,
    now: () => clock.now,
  });
  const engine = new CloudEngine({
    config: resolveConfig({ dataDir: "/nonexistent", localAttach: false, operationLatencyMs: 0 }),
    state,
    save: async () => {},
    schedule: (operation) => runner.schedule(operation),
    localAttach: () => ({ available: false, reason: "not in this test" }),
    byIdPath: (serial) => `/nonexistent/by-id/${serial}`,
    captures: { start: () => undefined, startGroup: () => undefined, settled: async () => undefined },
    now: () => clock.now,
  });
  const finished = async (accepted: Promise<{ operation: OperationRecord }>): Promise<OperationRecord> => {
    const { operation } = await accepted;
    while (operation.status === "running") await new Promise((resolve) => setImmediate(resolve));
    assert.equal(operation.status, "succeeded");
    return operation;
  };
  const createVolume = (name: string) =>
    finished(engine.createVolume({ name, zone: "ref-1a", sizeBytes: 1024 ** 3 }, undefined));
  const createGroup = (name: string, sourceVolumeIds: string[]) =>
    finished(engine.createSnapshotGroup({ name, sourceVolumeIds }));
  const deleteGroup = (groupId: string) => finished(engine.deleteSnapshotGroup(groupId));
  return { clock, engine, runner, createVolume, createGroup, deleteGroup };
}

describe("A snapshot group's create operation", () => {
  test("is still the answer to a create by the group's name long after it finished", async () => {
    const { clock, engine, runner, createVolume, createGroup } = cloudOnAClock();
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
    const { clock, engine, runner, createVolume, createGroup, deleteGroup } = cloudOnAClock();
    const volume = await createVolume("pvc-data");
    const created = await createGroup("nightly", [volume.resourceId]);
    await deleteGroup(created.resourceId);
    clock.now += FINISHED_OPERATION_RETENTION_MS;
    await createVolume("pvc-prunes");
    assert.throws(() => engine.getOperation(created.id), { code: "not_found" });
    await runner.close();
  });
});
