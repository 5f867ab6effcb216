import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { advertised, ControllerCapability, requireController } from "./capabilities.js";
import { forEachFace } from "./faces.js";
import { mountCapability, uniqueName, volumeSizes } from "./fixtures.js";
import { useDevSystem } from "./harness.js";

/**
 * The cloud's operations take this long, so a snapshot is certainly still pending when the next
 * RPC arrives (the default 100 ms leaves that to chance), as csi-sanity's delete-at-once specs do.
 */
const CLOUD_LATENCY_MS = 2_000;

forEachFace("Deleting right after CreateSnapshot, while the snapshot is pending", (face) => {
  const system = useDevSystem({ face, extraArgs: ["--cloud-latency-ms", String(CLOUD_LATENCY_MS)] });
  const spec = (title: string, body: (t: TestContext) => Promise<void>) =>
    test(title, async (t) => {
      if (await requireController(t, system(), ControllerCapability.CREATE_DELETE_SNAPSHOT)) await body(t);
    });

  async function newVolume(): Promise<string> {
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("pendingsrc"),
      volumeCapabilities: [mountCapability()],
      capacityRange: { requiredBytes: (await volumeSizes(system())).smallest },
    });
    assert.ok(volume);
    return volume.volumeId;
  }

  /**
   * A snapshot still being cut, or undefined (and the test skipped, nothing left behind) where the
   * cloud answers a snapshot request only once the snapshot is done, as DigitalOcean's does.
   */
  async function pendingSnapshot(t: TestContext, sourceVolumeId: string): Promise<string | undefined> {
    const { snapshot } = await system().csi.controller.createSnapshot({
      name: uniqueName("pending"),
      sourceVolumeId,
    });
    assert.ok(snapshot);
    if (!snapshot.readyToUse) return snapshot.snapshotId;
    await system().csi.controller.deleteSnapshot({ snapshotId: snapshot.snapshotId });
    await system().csi.controller.deleteVolume({ volumeId: sourceVolumeId });
    t.skip("CreateSnapshot answered ready_to_use at once: this cloud has no pending snapshots");
    return undefined;
  }

  spec("DeleteSnapshot at once succeeds and ListSnapshots no longer shows the snapshot", async (t) => {
    const { csi } = system();
    const volumeId = await newVolume();
    const snapshotId = await pendingSnapshot(t, volumeId);
    if (snapshotId === undefined) return;

    await csi.controller.deleteSnapshot({ snapshotId });

    assert.equal(await system().view.snapshot(snapshotId), undefined);
    const { controller } = await advertised(system());
    if (controller.has(ControllerCapability.LIST_SNAPSHOTS)) {
      assert.deepEqual((await csi.controller.listSnapshots({ snapshotId })).entries, []);
      const bySource = await csi.controller.listSnapshots({ sourceVolumeId: volumeId });
      assert.deepEqual(
        bySource.entries.map((entry) => entry.snapshot?.snapshotId),
        [],
      );
    }
    await csi.controller.deleteVolume({ volumeId });
  });

  spec("DeleteVolume of the source at once succeeds and the snapshot stays", async (t) => {
    const { csi } = system();
    const volumeId = await newVolume();
    const snapshotId = await pendingSnapshot(t, volumeId);
    if (snapshotId === undefined) return;

    await csi.controller.deleteVolume({ volumeId });

    assert.equal(await system().view.volume(volumeId), undefined);
    assert.ok(
      (await system().view.snapshot(snapshotId)) !== undefined,
      `snapshot ${snapshotId} is gone with its volume`,
    );
    await csi.controller.deleteSnapshot({ snapshotId });
  });
});
