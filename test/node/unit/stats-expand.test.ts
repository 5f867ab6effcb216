import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FakeNodeWorld,
  MiB,
  newVolumeId,
  publishRequest,
  stageRequest,
  stagingPathOf,
  targetPathOf,
} from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";

test("stats of / with the id of a volume not attached here is NotFound", async () => {
  const world = await FakeNodeWorld.create();
  const volumeId = newVolumeId();
  await rejectsWithKind(
    world.service.volumeStats({ volumeId, volumePath: "/" }),
    "NotFound",
    new RegExp(
      `/ holds device 8:1, which is not volume ${volumeId}'s: the volume is not attached to this node`,
    ),
  );
});

test("stats of a published volume report bytes and inodes and a normal condition", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(16n * MiB);
  await world.service.stageVolume(stageRequest(volume));
  await world.service.publishVolume(publishRequest(volume));
  const stats = await world.service.volumeStats({
    volumeId: volume.volumeId,
    volumePath: targetPathOf(volume.volumeId),
  });
  assert.deepEqual(stats.usage, [
    { unit: "bytes", total: 16n * MiB, available: 16n * MiB - 81n * 4096n, used: 81n * 4096n },
    { unit: "inodes", total: 65_536n, available: 65_525n, used: 11n },
  ]);
  assert.deepEqual(stats.condition, {
    abnormal: false,
    message: `volume ${volume.volumeId} is mounted and its device /dev/vdb is present`,
  });
});

test("stats after the device is gone report an abnormal condition", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume));
  await world.service.publishVolume(publishRequest(volume));
  world.host.detach(volume.device);
  const stats = await world.service.volumeStats({
    volumeId: volume.volumeId,
    volumePath: targetPathOf(volume.volumeId),
  });
  assert.deepEqual(stats.condition, {
    abnormal: true,
    message: `the device link of volume ${volume.volumeId} is gone from /dev/disk/by-id: the device was detached from this node`,
  });
});

test("expanding a mounted ext4 runs resize2fs online and reports the device size", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(16n * MiB);
  await world.service.stageVolume(stageRequest(volume));
  await world.service.publishVolume(publishRequest(volume));
  volume.disk.sizeBytes = 32n * MiB;
  const before = world.exec.calls.length;
  const result = await world.service.expandVolume({
    volumeId: volume.volumeId,
    volumePath: targetPathOf(volume.volumeId),
    stagingPath: stagingPathOf(volume.volumeId),
    requiredBytes: 32n * MiB,
  });
  assert.deepEqual(result, { capacityBytes: 32n * MiB });
  assert.deepEqual(world.exec.calls.slice(before), [
    ["dumpe2fs", "-h", "/dev/vdb"],
    ["resize2fs", "/dev/vdb"],
  ]);
  assert.equal(volume.disk.filesystem?.sizeBytes, 32n * MiB);
});

test("expanding a mounted xfs runs xfs_growfs on the read-write staging mount", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(16n * MiB);
  await world.service.stageVolume(stageRequest(volume, "xfs"));
  await world.service.publishVolume(publishRequest(volume, "xfs", true));
  volume.disk.sizeBytes = 32n * MiB;
  const before = world.exec.calls.length;
  await world.service.expandVolume({
    volumeId: volume.volumeId,
    volumePath: targetPathOf(volume.volumeId),
    stagingPath: stagingPathOf(volume.volumeId),
    requiredBytes: 32n * MiB,
  });
  assert.deepEqual(world.exec.calls.slice(before), [
    ["xfs_info", targetPathOf(volume.volumeId)],
    ["xfs_growfs", "-d", stagingPathOf(volume.volumeId)],
  ]);
  assert.equal(volume.disk.filesystem?.sizeBytes, 32n * MiB);
});

test("expanding with the id of a volume not attached here is NotFound and runs nothing", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume));
  const before = world.exec.calls.length;
  const stranger = newVolumeId();
  await rejectsWithKind(
    world.service.expandVolume({
      volumeId: stranger,
      volumePath: stagingPathOf(volume.volumeId),
      requiredBytes: 0n,
    }),
    "NotFound",
    new RegExp(`volume ${stranger} is not attached to this node \\(no device link in /dev/disk/by-id\\)`),
  );
  assert.deepEqual(world.exec.calls.slice(before), []);
});
