import assert from "node:assert/strict";
import { test } from "node:test";
import type { CloudEngineDependencies } from "../../src/cloud-sim/engine/index.js";
import type { ProblemError } from "../../src/cloud-sim/problems.js";
import { emptyState } from "../../src/cloud-sim/state.js";
import { bareEngine } from "./bare-engine.js";

/** An engine over an empty state whose work is never run: these tests only look at what it accepts. */
function engineWith(overrides: Partial<CloudEngineDependencies>) {
  const state = emptyState();
  state.instances.push({ id: "i-one", name: "one", zone: "ref-1a", maxAttachedVolumes: 8, local: false });
  const engine = bareEngine(state, {}, overrides);
  return { engine, state };
}

test("the engine names resources and operations with the id generator it is given", async () => {
  let n = 0;
  const { engine } = engineWith({ newId: (prefix) => `${prefix}:${++n}` });
  const { operation } = await engine.createVolume({ name: "pvc-ids", zone: "ref-1a", sizeGiB: 1 });
  assert.deepEqual([operation.resourceId, operation.id], ["vol:1", "op:2"]);
});

test("the per-instance attach limit it is given refuses the attach beyond it and shows in the instance", async () => {
  const { engine, state } = engineWith({ attachLimits: { perVolume: 16, perInstance: () => 0 } });
  const { operation } = await engine.createVolume({ name: "pvc-limit", zone: "ref-1a", sizeGiB: 1 });
  const volume = state.volumes[operation.resourceId];
  assert.ok(volume !== undefined);
  volume.status = "available";
  await assert.rejects(engine.attachVolume(volume.id, { instanceId: "i-one" }), (error: ProblemError) => {
    assert.equal(error.code, "attach_limit_exceeded");
    assert.equal(error.toProblem().detail, "instance i-one has 0 of its 0 volumes attached");
    return true;
  });
  assert.equal(engine.getInstance("i-one").maxAttachedVolumes, 0);
});
