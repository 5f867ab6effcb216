import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { ControllerCapability, requireController } from "./capabilities.js";
import { forEachFace } from "./faces.js";
import {
  Cleanup,
  eventually,
  expectCode,
  mountCapability,
  readySnapshot,
  repeat,
  uniqueName,
  volumeSizes,
} from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

/** A volume of the smallest size plus `steps` size steps. */
async function newVolume(system: DevSystem, cleanup: Cleanup, steps = 0): Promise<string> {
  const { volume } = await system.csi.controller.createVolume({
    name: uniqueName("snapsrc"),
    volumeCapabilities: [mountCapability()],
    capacityRange: { requiredBytes: (await volumeSizes(system)).of(steps) },
  });
  assert.ok(volume);
  return cleanup.volume(volume.volumeId);
}

forEachFace("Snapshots over the dev socket", (face) => {
  const system = useDevSystem({ face });
  /** A spec of CREATE_DELETE_SNAPSHOT (and any further capability it names), skipped where not advertised. */
  const spec = (title: string, body: (t: TestContext) => Promise<void>, ...more: ControllerCapability[]) =>
    test(title, async (t) => {
      if (await requireController(t, system(), ControllerCapability.CREATE_DELETE_SNAPSHOT, ...more))
        await body(t);
    });
  const unknownVolume = () => system().facts.unknownVolumeId;
  const unknownSnapshot = () => system().facts.unknownSnapshotId;

  spec("CreateSnapshot without a name is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.createSnapshot({ sourceVolumeId: unknownVolume() }),
      status.INVALID_ARGUMENT,
    );
  });

  spec("CreateSnapshot without a source volume id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.createSnapshot({ name: uniqueName("nosource") }),
      status.INVALID_ARGUMENT,
    );
  });

  spec("CreateSnapshot of a volume that does not exist is NotFound", async () => {
    await expectCode(
      system().csi.controller.createSnapshot({
        name: uniqueName("gone"),
        sourceVolumeId: unknownVolume(),
      }),
      status.NOT_FOUND,
    );
  });

  spec(
    "CreateSnapshot ten times with the same name and source answers one snapshot that becomes ready",
    async (t) => {
      const cleanup = Cleanup.for(t, system());
      const sourceVolumeId = await newVolume(system(), cleanup);
      const name = uniqueName("snap");
      const answers = await repeat(10, () =>
        system().csi.controller.createSnapshot({ name, sourceVolumeId }),
      );
      for (const answer of answers) if (answer.snapshot) cleanup.snapshot(answer.snapshot.snapshotId);
      assert.equal(new Set(answers.map((answer) => answer.snapshot?.snapshotId)).size, 1);
      const ready = await eventually("snapshot ready_to_use", async () => {
        const { snapshot } = await system().csi.controller.createSnapshot({ name, sourceVolumeId });
        return snapshot?.readyToUse ? snapshot : undefined;
      });
      assert.equal(ready.sourceVolumeId, sourceVolumeId);
      assert.ok(ready.sizeBytes > 0n);
      const inCloud = (await system().view.snapshotsOf(sourceVolumeId)).filter(
        (snapshot) => snapshot.name === name,
      );
      assert.equal(inCloud.length, 1);
    },
  );

  spec("CreateSnapshot with a known name but another source volume is AlreadyExists", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const first = await newVolume(system(), cleanup);
    const second = await newVolume(system(), cleanup);
    const name = uniqueName("snapconflict");
    await readySnapshot(system(), cleanup, name, first);
    await expectCode(
      system().csi.controller.createSnapshot({ name, sourceVolumeId: second }),
      status.ALREADY_EXISTS,
    );
  });

  spec(
    "GetSnapshot of a snapshot that does not exist is NotFound",
    async () => {
      await expectCode(
        system().csi.controller.getSnapshot({ snapshotId: unknownSnapshot() }),
        status.NOT_FOUND,
      );
    },
    ControllerCapability.GET_SNAPSHOT,
  );

  spec("DeleteSnapshot without a snapshot id is InvalidArgument", async () => {
    await expectCode(system().csi.controller.deleteSnapshot({}), status.INVALID_ARGUMENT);
  });

  spec("DeleteSnapshot of a snapshot that never existed is OK", async () => {
    await system().csi.controller.deleteSnapshot({ snapshotId: unknownSnapshot() });
  });

  spec("DeleteSnapshot removes the snapshot and stays OK when repeated ten times", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const sourceVolumeId = await newVolume(system(), cleanup);
    const snapshot = await readySnapshot(system(), cleanup, uniqueName("snapdel"), sourceVolumeId);
    await repeat(10, () => system().csi.controller.deleteSnapshot({ snapshotId: snapshot.snapshotId }));
    assert.equal(await system().view.snapshot(snapshot.snapshotId), undefined);
  });

  spec(
    "GetSnapshot of a deleted snapshot is NotFound",
    async (t) => {
      const cleanup = Cleanup.for(t, system());
      const sourceVolumeId = await newVolume(system(), cleanup);
      const snapshot = await readySnapshot(system(), cleanup, uniqueName("snapgone"), sourceVolumeId);
      await system().csi.controller.deleteSnapshot({ snapshotId: snapshot.snapshotId });
      await expectCode(
        system().csi.controller.getSnapshot({ snapshotId: snapshot.snapshotId }),
        status.NOT_FOUND,
      );
    },
    ControllerCapability.GET_SNAPSHOT,
  );

  spec("CreateVolume from a snapshot restores a volume at least the snapshot's size", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const sizes = await volumeSizes(system());
    const sourceVolumeId = await newVolume(system(), cleanup, 1);
    const snapshot = await readySnapshot(system(), cleanup, uniqueName("snaprestore"), sourceVolumeId);
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("restored"),
      volumeCapabilities: [mountCapability()],
      volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: snapshot.snapshotId } } },
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    assert.ok(volume.capacityBytes >= sizes.of(1));
    assert.deepEqual(volume.contentSource?.type, {
      $case: "snapshot",
      value: { snapshotId: snapshot.snapshotId },
    });
  });

  spec("CreateVolume from a snapshot with a limit below the snapshot's size is OutOfRange", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const smallest = (await volumeSizes(system())).of(0);
    const sourceVolumeId = await newVolume(system(), cleanup, 2);
    const snapshot = await readySnapshot(system(), cleanup, uniqueName("snapsmall"), sourceVolumeId);
    await expectCode(
      system().csi.controller.createVolume({
        name: uniqueName("toosmall"),
        volumeCapabilities: [mountCapability()],
        capacityRange: { requiredBytes: smallest, limitBytes: smallest },
        volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: snapshot.snapshotId } } },
      }),
      status.OUT_OF_RANGE,
    );
  });

  test("CreateVolume cloning a volume answers a volume whose content source is the original", async (t) => {
    if (!(await requireController(t, system(), ControllerCapability.CLONE_VOLUME))) return;
    const cleanup = Cleanup.for(t, system());
    const sourceVolumeId = await newVolume(system(), cleanup);
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("clone"),
      volumeCapabilities: [mountCapability()],
      volumeContentSource: { type: { $case: "volume", value: { volumeId: sourceVolumeId } } },
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    assert.deepEqual(volume.contentSource?.type, { $case: "volume", value: { volumeId: sourceVolumeId } });
  });
});
