import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { CreateVolumeRequest } from "../../src/generated/csi.js";
import {
  cloudRequestCount,
  codeOf,
  type Harness,
  mountCapability,
  rpc,
  startHarness,
  until,
} from "./controller-harness.js";

describe("Controller RPCs at the cloud's quotas", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ cloud: { quotas: { maxVolumes: 1, maxSnapshots: 1 } } });
  });
  after(async () => {
    await h.close();
  });

  const create = (name: string) =>
    rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({ name, volumeCapabilities: [mountCapability()] }),
    );
  const snapshot = (name: string, sourceVolumeId: string) =>
    rpc(h.controller, h.controller.createSnapshot, { name, sourceVolumeId, secrets: {}, parameters: {} });

  test("CreateVolume beyond the volume quota is ResourceExhausted and the next snapshot too", async () => {
    const { volume } = await create("quota-1");
    assert.equal(await codeOf(create("quota-2")), status.RESOURCE_EXHAUSTED);
    const volumeId = volume?.volumeId ?? "";
    await until("quota-snap-1 is ready", async () => {
      const { snapshot: s } = await snapshot("quota-snap-1", volumeId);
      return s?.readyToUse === true;
    });
    assert.equal(await codeOf(snapshot("quota-snap-2", volumeId)), status.RESOURCE_EXHAUSTED);
  });
});

describe("Concurrent duplicate Controller RPCs", () => {
  let h: Harness;
  before(async () => {
    // A slow create keeps the first call in flight while the duplicate arrives.
    h = await startHarness({ cloud: { operationLatencyMs: { createVolume: 500 } } });
  });
  after(async () => {
    await h.close();
  });

  test("a CreateVolume for a name already being created is Aborted and counted", async () => {
    const request = CreateVolumeRequest.fromPartial({ name: "dup", volumeCapabilities: [mountCapability()] });
    const first = rpc(h.controller, h.controller.createVolume, request);
    // The duplicate must arrive while the first holds the name: once the cloud has accepted the
    // first create, the first stays in flight for the operation's 500 ms.
    await until(
      "the cloud saw the first CreateVolume",
      async () => (await cloudRequestCount(h, "createVolume")) > 0,
    );
    assert.equal(await codeOf(rpc(h.controller, h.controller.createVolume, request)), status.ABORTED);
    assert.match((await first).volume?.volumeId ?? "", /^vol-/);
    const conflicts = await h.metrics.csiAborted.get();
    assert.deepEqual(
      conflicts.values.map((v) => [v.labels.method, v.value]),
      [["CreateVolume", 1]],
    );
  });
});
