import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CloudEngine } from "../../src/cloud-sim/engine/index.js";
import { FINISHED_OPERATION_RETENTION_MS } from "../../src/cloud-sim/state.js";
import { cloudOnAClock } from "./bare-engine.js";

/** The cloud on a clock, with volume creates under an idempotency key and deletes. */
function volumesOnAClock() {
  const cloud = cloudOnAClock();
  const create = (name: string) =>
    cloud.finished(
      cloud.engine.createVolume(
        { name, zone: "ref-1a", sizeBytes: 1024 ** 3 },
        { key: name, fingerprint: name },
      ),
    );
  const remove = (volumeId: string) => cloud.finished(cloud.engine.deleteVolume(volumeId));
  return { ...cloud, create, remove };
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
    const { clock, engine, runner, create, remove } = volumesOnAClock();
    const created = await create("pvc-gone-soon");
    const deleted = await remove(created.resourceId);
    clock.now += FINISHED_OPERATION_RETENTION_MS - 1;
    await create("pvc-later");
    assert.equal(exists(engine, created.id), true);
    assert.equal(exists(engine, deleted.id), true);
    await runner.close();
  });

  test("are dropped once older than the retention, while a live volume's operations stay", async () => {
    const { clock, engine, runner, create, remove } = volumesOnAClock();
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
    const { clock, engine, runner, create, remove } = volumesOnAClock();
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
