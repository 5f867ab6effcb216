import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FakeNodeWorld,
  publishRequest,
  stagedVolume,
  stagingPathOf,
  targetPathOf,
} from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";

test("publishing three times bind-mounts the staging path once", async () => {
  const world = await FakeNodeWorld.create();
  const volume = await stagedVolume(world);
  const before = world.exec.calls.length;
  for (let i = 0; i < 3; i++) await world.service.publishVolume(publishRequest(volume));
  const target = targetPathOf(volume.volumeId);
  assert.deepEqual(world.exec.calls.slice(before), [
    ["mount", "--bind", stagingPathOf(volume.volumeId), target],
  ]);
  const mounts = world.host.mounts.at(target);
  assert.deepEqual(
    mounts.map((mount) => [mount.source, mount.fsType, mount.major, mount.minor]),
    [["/dev/vdb", "ext4", 253, 0]],
  );
});

test("unpublishing three times unmounts once and removes the target directory", async () => {
  const world = await FakeNodeWorld.create();
  const volume = await stagedVolume(world);
  await world.service.publishVolume(publishRequest(volume));
  const target = targetPathOf(volume.volumeId);
  const before = world.exec.calls.length;
  for (let i = 0; i < 3; i++)
    await world.service.unpublishVolume({ volumeId: volume.volumeId, targetPath: target });
  assert.deepEqual(world.exec.calls.slice(before), [["umount", target]]);
  assert.equal(world.host.tree.lookup(target), undefined);
  assert.deepEqual(world.host.mounts.at(target), []);
});

test("unstaging three times unmounts once and removes the staging directory", async () => {
  const world = await FakeNodeWorld.create();
  const volume = await stagedVolume(world);
  const staging = stagingPathOf(volume.volumeId);
  const before = world.exec.calls.length;
  for (let i = 0; i < 3; i++)
    await world.service.unstageVolume({ volumeId: volume.volumeId, stagingPath: staging });
  assert.deepEqual(world.exec.calls.slice(before), [["umount", staging]]);
  assert.equal(world.host.tree.lookup(staging), undefined);
});

test("unpublishing a target where somebody mounted a tmpfs is FailedPrecondition and keeps mount and directory", async () => {
  const world = await FakeNodeWorld.create();
  const volume = await stagedVolume(world);
  const target = targetPathOf(volume.volumeId);
  await world.host.mkdirp(target);
  world.host.mountTmpfs(target);
  const before = world.exec.calls.length;
  await rejectsWithKind(
    world.service.unpublishVolume({ volumeId: volume.volumeId, targetPath: target }),
    "FailedPrecondition",
    /has tmpfs \(tmpfs, device 0:50\) mounted, which is not volume .*; nothing was unmounted/,
  );
  assert.deepEqual(world.exec.calls.slice(before), []);
  assert.deepEqual(
    world.host.mounts.at(target).map((mount) => mount.fsType),
    ["tmpfs"],
  );
  assert.equal(world.host.tree.lookup(target)?.node.kind, "directory");
});

test("unpublishing another volume's target with this volume's id is FailedPrecondition and keeps its mount", async () => {
  const world = await FakeNodeWorld.create();
  const mine = await stagedVolume(world);
  const theirs = await stagedVolume(world);
  await world.service.publishVolume(publishRequest(theirs));
  const target = targetPathOf(theirs.volumeId);
  await rejectsWithKind(
    world.service.unpublishVolume({ volumeId: mine.volumeId, targetPath: target }),
    "FailedPrecondition",
    new RegExp(`which is not volume ${mine.volumeId}'s device /dev/vdb; nothing was unmounted`),
  );
  assert.deepEqual(
    world.host.mounts.at(target).map((mount) => mount.source),
    ["/dev/vdc"],
  );
});

test("unstaging another volume's staging path with this volume's id is FailedPrecondition and keeps its mount", async () => {
  const world = await FakeNodeWorld.create();
  const mine = await stagedVolume(world);
  const theirs = await stagedVolume(world);
  const staging = stagingPathOf(theirs.volumeId);
  await rejectsWithKind(
    world.service.unstageVolume({ volumeId: mine.volumeId, stagingPath: staging }),
    "FailedPrecondition",
    new RegExp(
      `${staging} has /dev/vdc \\(ext4, device 253:16\\) mounted, which is not volume ${mine.volumeId}'s`,
    ),
  );
  assert.deepEqual(
    world.host.mounts.at(staging).map((mount) => mount.source),
    ["/dev/vdc"],
  );
  assert.equal(world.host.tree.lookup(staging)?.node.kind, "directory");
});

test("publishing before staging is FailedPrecondition and creates no target", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await rejectsWithKind(
    world.service.publishVolume(publishRequest(volume)),
    "FailedPrecondition",
    new RegExp(`volume ${volume.volumeId} is not staged at`),
  );
  assert.equal(world.host.tree.lookup(targetPathOf(volume.volumeId)), undefined);
});
