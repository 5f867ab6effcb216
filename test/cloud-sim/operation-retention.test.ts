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
    volumePath: (volumeId: string) => `/nonexistent/${volumeId}`,
    createEmpty: async () => {},
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
  const create = (name: string) =>
    finished(
      engine.createVolume({ name, zone: "ref-1a", sizeBytes: 1024 ** 3 }, { key: name, fingerprint: name }),
    );
  const remove = (volumeId: string) => finished(engine.deleteVolume(volumeId));
  return { clock, engine, runner, create, remove };
}

function exists(engine: CloudEngine, operationId: string): boolean {
  try {
    engine.getOperation(operationId);
    return true;
  } catch {
    return false;
  }
}

describe("Finished operations of deleted resources", () => {
  test("stay readable within the retention after their volume is deleted", async () => {
    const { clock, engine, runner, create, remove } = cloudOnAClock();
    const created = await create("pvc-gone-soon");
    const deleted = await remove(created.resourceId);
    clock.now += FINISHED_OPERATION_RETENTION_MS - 1;
    await create("pvc-later");
    assert.equal(exists(engine, created.id), true);
    assert.equal(exists(engine, deleted.id), true);
    await runner.close();
  });

  test("are dropped once older than the retention, while a live volume's operations stay", async () => {
    const { clock, engine, runner, create, remove } = cloudOnAClock();
    const live = await create("pvc-stays");
    const created = await create("pvc-gone");
    const deleted = await remove(created.resourceId);
    clock.now += FINISHED_OPERATION_RETENTION_MS;
    await create("pvc-much-later");
    assert.equal(exists(engine, created.id), false);
    assert.equal(exists(engine, deleted.id), false);
    assert.equal(exists(engine, live.id), true);
    await runner.close();
  });

  test("are pruned at most once a minute, by the first save after it", async () => {
    const { clock, engine, runner, create, remove } = cloudOnAClock();
    const created = await create("pvc-gone");
    await remove(created.resourceId);
    clock.now += FINISHED_OPERATION_RETENTION_MS - 30_000;
    await create("pvc-prunes-too-early");
    clock.now += 40_000;
    await create("pvc-within-the-minute");
    assert.equal(exists(engine, created.id), true);
    clock.now += 20_000;
    await create("pvc-a-minute-later");
    assert.equal(exists(engine, created.id), false);
    await runner.close();
  });
});
