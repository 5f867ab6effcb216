import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ReferenceCloudConfig } from "../../src/cloud-sim/config.js";
import type { ProblemError } from "../../src/cloud-sim/problems.js";
import { emptyState, type OperationRecord } from "../../src/cloud-sim/state.js";
import type { VolumeFiles } from "../../src/cloud-sim/volume-files.js";
import { bareEngine, bareRunner, untilFinished } from "./bare-engine.js";

const GiB = 1024 ** 3;

/**
 * An engine whose accepted work runs only when a test runs it, so a test can act while a change is
 * accepted but not yet run. Its files are never written; `growFails` makes every resize's work fail.
 */
function engineWithHeldWork(config: Partial<ReferenceCloudConfig>, growFails = false) {
  const state = emptyState();
  for (const name of ["one", "two"]) {
    state.instances.push({ id: `i-${name}`, name, zone: "ref-1a", maxAttachedVolumes: 8, local: false });
  }
  const files = {
    volumePath: (volumeId: string) => `/nonexistent/${volumeId}`,
    createEmpty: async () => {},
    grow: async () => {
      if (growFails) throw new Error("ENOSPC: no space left on device");
    },
  } as unknown as VolumeFiles;
  const runner = bareRunner(state, files);
  const engine = bareEngine(state, { operationLatencyMs: 0, ...config });
  /** Runs an accepted operation's work and waits until it is over. */
  const run = async (operation: OperationRecord): Promise<OperationRecord> => {
    runner.schedule(operation);
    return untilFinished(operation);
  };
  /** A volume whose create has run. */
  const volume = async (name: string, sizeGiB: number, type = "balanced"): Promise<string> => {
    const { operation } = await engine.createVolume({ name, zone: "ref-1a", sizeGiB, type });
    assert.equal((await run(operation)).status, "succeeded");
    return operation.resourceId;
  };
  return { engine, run, volume };
}

function refusal(code: string, detail: string) {
  return (error: ProblemError) => {
    assert.deepEqual([error.code, error.toProblem().detail], [code, detail]);
    return true;
  };
}

describe("growth of a resize accepted but not yet run", () => {
  test("counts against the byte quota, so a second resize past it is quota_exceeded", async () => {
    const { engine, volume } = engineWithHeldWork({ quotas: { maxVolumeBytes: 30 * GiB } });
    const first = await volume("pvc-first", 10);
    const second = await volume("pvc-second", 10);
    await engine.resizeVolume(first, { sizeGiB: 20 });
    await assert.rejects(
      engine.resizeVolume(second, { sizeGiB: 20 }),
      refusal(
        "quota_exceeded",
        `sizeBytes: ${10 * GiB} more bytes exceed the quota of ${30 * GiB} bytes (${30 * GiB} used)`,
      ),
    );
  });

  test("counts against the byte quota, so a create past it is quota_exceeded", async () => {
    const { engine, volume } = engineWithHeldWork({ quotas: { maxVolumeBytes: 30 * GiB } });
    const first = await volume("pvc-first", 10);
    await engine.resizeVolume(first, { sizeGiB: 25 });
    await assert.rejects(
      engine.createVolume({ name: "pvc-more", zone: "ref-1a", sizeGiB: 10 }),
      refusal(
        "quota_exceeded",
        `sizeBytes: ${10 * GiB} more bytes exceed the quota of ${30 * GiB} bytes (${25 * GiB} used)`,
      ),
    );
  });

  test("counts against the pool, so a second resize past its room is insufficient_capacity", async () => {
    const { engine, volume } = engineWithHeldWork({ poolCapacityBytes: 30 * GiB });
    const first = await volume("pvc-first", 10);
    const second = await volume("pvc-second", 10);
    await engine.resizeVolume(first, { sizeGiB: 20 });
    await assert.rejects(
      engine.resizeVolume(second, { sizeGiB: 20 }),
      refusal(
        "insufficient_capacity",
        `sizeBytes: ${10 * GiB} more bytes do not fit in zone ref-1a type balanced (0 available)`,
      ),
    );
  });

  test("shows as used in the capacity report", async () => {
    const { engine, volume } = engineWithHeldWork({ quotas: { maxVolumeBytes: 30 * GiB } });
    const first = await volume("pvc-first", 10);
    await engine.resizeVolume(first, { sizeGiB: 25 });
    assert.equal(engine.getCapacity("ref-1a", "balanced").availableBytes, 5 * GiB);
  });

  test("is freed when the resize fails", async () => {
    const { engine, run, volume } = engineWithHeldWork({ quotas: { maxVolumeBytes: 30 * GiB } }, true);
    const first = await volume("pvc-first", 10);
    const second = await volume("pvc-second", 10);
    const failed = await engine.resizeVolume(first, { sizeGiB: 20 });
    assert.equal((await run(failed.operation)).status, "failed");
    const accepted = await engine.resizeVolume(second, { sizeGiB: 20 });
    assert.equal(accepted.operation.status, "running");
  });
});

describe("attach while a modify is not yet run", () => {
  test("is conflict while the modify changes the type, and the volume keeps its one attachment", async () => {
    const { engine, run, volume } = engineWithHeldWork({});
    const shared = await volume("pvc-shared", 10, "performance");
    await run((await engine.attachVolume(shared, { instanceId: "i-one" })).operation);
    const modify = await engine.modifyVolume(shared, { type: "balanced" });
    await assert.rejects(
      engine.attachVolume(shared, { instanceId: "i-two" }),
      refusal(
        "conflict",
        `volume ${shared} has operation ${modify.operation.id} (modifyVolume) running that changes its type to balanced`,
      ),
    );
    assert.equal((await run(modify.operation)).status, "succeeded");
    const after = engine.getVolume(shared);
    assert.deepEqual([after.type, after.attachments.map((a) => a.instanceId)], ["balanced", ["i-one"]]);
  });

  test("is accepted while the modify changes only the IOPS", async () => {
    const { engine, run, volume } = engineWithHeldWork({});
    const shared = await volume("pvc-shared", 10, "performance");
    await run((await engine.attachVolume(shared, { instanceId: "i-one" })).operation);
    await engine.modifyVolume(shared, { iops: 20000 });
    const attach = await engine.attachVolume(shared, { instanceId: "i-two" });
    assert.equal(attach.operation.status, "running");
  });
});

describe("clone of a volume with a change not yet run", () => {
  test("is conflict while the source's resize is not yet run", async () => {
    const { engine, volume } = engineWithHeldWork({});
    const source = await volume("pvc-source", 10);
    const resize = await engine.resizeVolume(source, { sizeGiB: 20 });
    await assert.rejects(
      engine.createVolume({ name: "pvc-clone", zone: "ref-1a", sourceVolumeId: source }),
      refusal("conflict", `volume ${source} has operation ${resize.operation.id} (resizeVolume) running`),
    );
  });
});
