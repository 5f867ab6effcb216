import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  Cleanup,
  eventually,
  expectCode,
  GiB,
  mountCapability,
  readySnapshot,
  repeat,
  uniqueName,
  WELL_FORMED_UNKNOWN_SNAPSHOT,
  WELL_FORMED_UNKNOWN_VOLUME,
} from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

async function newVolume(system: DevSystem, cleanup: Cleanup, sizeBytes = GiB): Promise<string> {
  const { volume } = await system.csi.controller.createVolume({
    name: uniqueName("snapsrc"),
    volumeCapabilities: [mountCapability()],
    capacityRange: { requiredBytes: sizeBytes },
  });
  assert.ok(volume);
  return cleanup.volume(volume.volumeId);
}

describe("Snapshots over the dev socket", () => {
  const system = useDevSystem();

  test("CreateSnapshot without a name is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.createSnapshot({ sourceVolumeId: WELL_FORMED_UNKNOWN_VOLUME }),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateSnapshot without a source volume id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.createSnapshot({ name: uniqueName("nosource") }),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateSnapshot of a volume that does not exist is NotFound", async () => {
    await expectCode(
      system().csi.controller.createSnapshot({
        name: uniqueName("gone"),
        sourceVolumeId: WELL_FORMED_UNKNOWN_VOLUME,
      }),
      status.NOT_FOUND,
    );
  });

  test("CreateSnapshot ten times with the same name and source answers one snapshot that becomes ready", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const sourceVolumeId = await newVolume(system(), cleanup);
    const name = uniqueName("snap");
    const answers = await repeat(10, () => system().csi.controller.createSnapshot({ name, sourceVolumeId }));
    for (const answer of answers) if (answer.snapshot) cleanup.snapshot(answer.snapshot.snapshotId);
    assert.equal(new Set(answers.map((answer) => answer.snapshot?.snapshotId)).size, 1);
    const ready = await eventually("snapshot ready_to_use", async () => {
      const { snapshot } = await system().csi.controller.createSnapshot({ name, sourceVolumeId });
      return snapshot?.readyToUse ? snapshot : undefined;
    });
    assert.equal(ready.sourceVolumeId, sourceVolumeId);
    assert.ok(ready.sizeBytes > 0n);
    const inCloud = (await system().cloud.snapshots()).filter((snapshot) => snapshot.name === name);
    assert.equal(inCloud.length, 1);
  });

  test("CreateSnapshot with a known name but another source volume is AlreadyExists", async (t) => {
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

  test("GetSnapshot of a snapshot that does not exist is NotFound", async () => {
    await expectCode(
      system().csi.controller.getSnapshot({ snapshotId: WELL_FORMED_UNKNOWN_SNAPSHOT }),
      status.NOT_FOUND,
    );
  });

  test("DeleteSnapshot without a snapshot id is InvalidArgument", async () => {
    await expectCode(system().csi.controller.deleteSnapshot({}), status.INVALID_ARGUMENT);
  });

  test("DeleteSnapshot of a snapshot that never existed is OK", async () => {
    await system().csi.controller.deleteSnapshot({ snapshotId: WELL_FORMED_UNKNOWN_SNAPSHOT });
  });

  test("DeleteSnapshot removes the snapshot and stays OK when repeated ten times", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const sourceVolumeId = await newVolume(system(), cleanup);
    const snapshot = await readySnapshot(system(), cleanup, uniqueName("snapdel"), sourceVolumeId);
    await repeat(10, () => system().csi.controller.deleteSnapshot({ snapshotId: snapshot.snapshotId }));
    const inCloud = (await system().cloud.snapshots()).filter(
      (cloudSnapshot) => cloudSnapshot.id === snapshot.snapshotId,
    );
    assert.deepEqual(inCloud, []);
    await expectCode(
      system().csi.controller.getSnapshot({ snapshotId: snapshot.snapshotId }),
      status.NOT_FOUND,
    );
  });

  test("CreateVolume from a snapshot restores a volume at least the snapshot's size", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const sourceVolumeId = await newVolume(system(), cleanup, 2n * GiB);
    const snapshot = await readySnapshot(system(), cleanup, uniqueName("snaprestore"), sourceVolumeId);
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("restored"),
      volumeCapabilities: [mountCapability()],
      volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: snapshot.snapshotId } } },
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    assert.ok(volume.capacityBytes >= 2n * GiB);
    assert.deepEqual(volume.contentSource?.type, {
      $case: "snapshot",
      value: { snapshotId: snapshot.snapshotId },
    });
  });

  test("CreateVolume from a snapshot with a limit below the snapshot's size is OutOfRange", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const sourceVolumeId = await newVolume(system(), cleanup, 3n * GiB);
    const snapshot = await readySnapshot(system(), cleanup, uniqueName("snapsmall"), sourceVolumeId);
    await expectCode(
      system().csi.controller.createVolume({
        name: uniqueName("toosmall"),
        volumeCapabilities: [mountCapability()],
        capacityRange: { requiredBytes: GiB, limitBytes: GiB },
        volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: snapshot.snapshotId } } },
      }),
      status.OUT_OF_RANGE,
    );
  });

  test("CreateVolume cloning a volume answers a volume whose content source is the original", async (t) => {
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
