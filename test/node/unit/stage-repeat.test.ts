import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeWorld, stageRequest, stagingPathOf } from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";

test("staging a staged volume again runs nothing that changes it and keeps one mount", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume));
  const before = world.exec.calls.length;
  await world.service.stageVolume(stageRequest(volume));
  await world.service.stageVolume(stageRequest(volume));
  assert.deepEqual(world.exec.calls.slice(before), []);
  assert.equal(world.host.mounts.at(stagingPathOf(volume.volumeId)).length, 1);
  assert.deepEqual(world.uuids, ["00000000-0000-4000-8000-000000000001"]);
});

test("staging a staged volume with another filesystem type is AlreadyExists and leaves the mount", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume, "xfs")),
    "AlreadyExists",
    new RegExp(`volume ${volume.volumeId} is staged at .* as ext4, not xfs`),
  );
  assert.equal(world.host.mounts.top(stagingPathOf(volume.volumeId))?.fsType, "ext4");
});

test("staging a staged volume read-only after read-write is AlreadyExists", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume));
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume, "ext4", { readOnly: true })),
    "AlreadyExists",
    /read-write, not read-only as requested/,
  );
});

test("a stale staging mount whose device is gone is unmounted and the reattached device staged", async () => {
  const world = await FakeNodeWorld.create();
  const first = world.attachVolume();
  await world.service.stageVolume(stageRequest(first));
  world.host.detach(first.device);
  const again = world.attachDisk(first.disk, first.volumeId);
  assert.equal(again.device.path, "/dev/vdc");
  const before = world.exec.calls.length;
  await world.service.stageVolume(stageRequest(again));
  const staging = stagingPathOf(first.volumeId);
  assert.deepEqual(world.exec.calls.slice(before), [
    ["umount", staging],
    ["blkid", "-p", "-o", "export", "/dev/vdc"],
    ["wipefs", "--no-act", "--json", "/dev/vdc"],
    ["dumpe2fs", "-h", "/dev/vdc"],
    ["mount", "-t", "ext4", "/dev/vdc", staging],
  ]);
  const mounts = world.host.mounts.at(staging);
  assert.deepEqual(
    mounts.map((mount) => mount.source),
    ["/dev/vdc"],
  );
  assert.equal((await world.metrics.nodeStaleMountRepairs.get()).values[0]?.value, 1);
});

test("staging grows an ext4 smaller than its device offline, after a forced check", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume));
  await world.service.unstageVolume({
    volumeId: volume.volumeId,
    stagingPath: stagingPathOf(volume.volumeId),
  });
  volume.disk.sizeBytes *= 2n;
  const before = world.exec.calls.length;
  await world.service.stageVolume(stageRequest(volume));
  assert.deepEqual(world.exec.commands().slice(before), [
    "blkid",
    "wipefs",
    "dumpe2fs",
    "e2fsck",
    "resize2fs",
    "mount",
  ]);
  assert.equal(volume.disk.filesystem?.sizeBytes, volume.disk.sizeBytes);
});
