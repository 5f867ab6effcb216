import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import { CreateVolumeRequest } from "../../src/generated/csi.js";
import { type Harness, mountCapability, rpc, startHarness } from "./controller-harness.js";

/**
 * A CreateVolume whose answer was lost is retried after its source was deleted (restored volumes
 * and clones outlive their sources): the spec wants OK for the existing compatible volume.
 */
describe("Controller CreateVolume retried once its content source is gone", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const create = (request: Partial<CreateVolumeRequest>) =>
    rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({ volumeCapabilities: [mountCapability()], ...request }),
    );
  const fromSnapshot = (snapshotId: string) => ({
    type: { $case: "snapshot" as const, value: { snapshotId } },
  });
  const fromVolume = (volumeId: string) => ({ type: { $case: "volume" as const, value: { volumeId } } });

  async function readySnapshot(name: string, sourceVolumeId: string): Promise<string> {
    const { snapshot } = await rpc(h.controller, h.controller.createSnapshot, {
      name,
      sourceVolumeId,
      secrets: {},
      parameters: {},
    });
    const snapshotId = snapshot?.snapshotId ?? "";
    // Bounded, so a snapshot that never becomes ready fails here instead of at the test timeout.
    for (let poll = 0; poll < 1000; poll += 1) {
      const read = await rpc(h.controller, h.controller.getSnapshot, { snapshotId, secrets: {} });
      if (read.snapshot?.readyToUse) return snapshotId;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return assert.fail(`snapshot ${snapshotId} never became ready`);
  }

  test("CreateVolume repeated after its snapshot was deleted answers the restored volume", async () => {
    const source = await create({ name: "pvc-gone-snap-src" });
    const snapshotId = await readySnapshot("snap-gone", source.volume?.volumeId ?? "");
    const request = { name: "pvc-gone-snap-restore", volumeContentSource: fromSnapshot(snapshotId) };
    const first = await create(request);
    await rpc(h.controller, h.controller.deleteSnapshot, { snapshotId, secrets: {} });
    const again = await create(request);
    assert.equal(again.volume?.volumeId, first.volume?.volumeId);
    assert.deepEqual(again.volume?.contentSource, { type: { $case: "snapshot", value: { snapshotId } } });
  });

  test("CreateVolume repeated after its source volume was deleted answers the clone", async () => {
    const source = await create({ name: "pvc-gone-clone-src" });
    const sourceId = source.volume?.volumeId ?? "";
    const request = { name: "pvc-gone-clone", volumeContentSource: fromVolume(sourceId) };
    const first = await create(request);
    await rpc(h.controller, h.controller.deleteVolume, { volumeId: sourceId, secrets: {} });
    const again = await create(request);
    assert.equal(again.volume?.volumeId, first.volume?.volumeId);
    assert.deepEqual(again.volume?.contentSource, {
      type: { $case: "volume", value: { volumeId: sourceId } },
    });
  });

  test("CreateVolume of an existing name from another, missing snapshot is still NotFound", async () => {
    const source = await create({ name: "pvc-other-snap-src" });
    const snapshotId = await readySnapshot("snap-other", source.volume?.volumeId ?? "");
    await create({ name: "pvc-other-snap-restore", volumeContentSource: fromSnapshot(snapshotId) });
    const missing = "snap-0000000000000000";
    const failure = await create({
      name: "pvc-other-snap-restore",
      volumeContentSource: fromSnapshot(missing),
    }).then(
      () => assert.fail("a restore from a missing snapshot succeeded"),
      (error: ServiceError) => error,
    );
    assert.equal(failure.code, status.NOT_FOUND);
    assert.equal(
      failure.details,
      `volume_content_source.snapshot.snapshot_id: snapshot ${missing} does not exist`,
    );
  });
});
