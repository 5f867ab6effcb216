import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { emptyState, type OperationRecord, type VolumeRecord } from "../../src/cloud-sim/state.js";
import type { VolumeFiles } from "../../src/cloud-sim/volume-files.js";
import { bareRunner, untilFinished } from "./bare-engine.js";

/**
 * A runner on a hand-moved clock whose volume deletes take `workMs[i]` of it, in order, so the
 * run-time estimate behind the polling hints can be checked exactly.
 */
function runnerWithWork(workMs: number[]) {
  let clock = 1_000_000;
  const state = emptyState();
  const files = {
    volumePath: (volumeId: string) => `/nonexistent/${volumeId}`,
    remove: async () => {
      clock += workMs.shift() ?? 0;
    },
  } as unknown as VolumeFiles;
  const runner = bareRunner(state, files, () => clock);
  /** Deletes one volume due now and waits until the runner has finished it. */
  const deleteOne = async (n: number): Promise<OperationRecord> => {
    const volumeId = `vol-${n.toString(16).padStart(16, "0")}`;
    state.volumes[volumeId] = { id: volumeId, attachments: [] } as unknown as VolumeRecord;
    const operation = {
      id: `op-${n}`,
      kind: "deleteVolume",
      status: "running",
      resourceId: volumeId,
      createdAt: new Date(clock).toISOString(),
      updatedAt: new Date(clock).toISOString(),
      input: { kind: "deleteVolume" },
      dueAt: clock,
    } as OperationRecord;
    runner.schedule(operation);
    return untilFinished(operation);
  };
  return { runner, deleteOne };
}

describe("OperationRunner run-time estimate (behind Poll-After-Ms)", () => {
  test("knows nothing of a kind it has not run", async () => {
    const { runner } = runnerWithWork([]);
    assert.equal(runner.expectedRunMs("deleteVolume"), 0);
    await runner.close();
  });

  test("expects the work of a kind to take as long as its first run took", async () => {
    const { runner, deleteOne } = runnerWithWork([30]);
    assert.equal((await deleteOne(1)).status, "succeeded");
    assert.equal(runner.expectedRunMs("deleteVolume"), 30);
    assert.equal(runner.expectedRunMs("createVolume"), 0);
    await runner.close();
  });

  test("keeps most of a slow run after a quicker one, and a slower run at once", async () => {
    const { runner, deleteOne } = runnerWithWork([30, 10, 50]);
    await deleteOne(1);
    await deleteOne(2);
    assert.equal(runner.expectedRunMs("deleteVolume"), 27);
    await deleteOne(3);
    assert.equal(runner.expectedRunMs("deleteVolume"), 50);
    await runner.close();
  });
});
