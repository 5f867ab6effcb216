import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FakeNodeWorld,
  publishedVolume,
  stagedVolume,
  stagingPathOf,
  targetPathOf,
} from "../fakes/fake-node.js";

test("NodeUnpublishVolume reads the mount table once before it unmounts and once after", async () => {
  const world = await FakeNodeWorld.create();
  const volume = await publishedVolume(world);
  world.host.mountInfoReads = 0;
  await world.service.unpublishVolume({
    volumeId: volume.volumeId,
    targetPath: targetPathOf(volume.volumeId),
  });
  assert.equal(world.host.mountInfoReads, 2);
});

test("NodeUnstageVolume reads the mount table once before it unmounts and once after", async () => {
  const world = await FakeNodeWorld.create();
  const volume = await stagedVolume(world);
  world.host.mountInfoReads = 0;
  await world.service.unstageVolume({
    volumeId: volume.volumeId,
    stagingPath: stagingPathOf(volume.volumeId),
  });
  assert.equal(world.host.mountInfoReads, 2);
});

test("a target with the volume bound on it twice is unmounted layer by layer, each layer judged", async () => {
  const world = await FakeNodeWorld.create();
  const volume = await publishedVolume(world);
  const target = targetPathOf(volume.volumeId);
  const [bound] = world.host.mounts.at(target);
  assert.ok(bound);
  const { mountId: _id, parentId: _parent, ...layer } = bound;
  world.host.mounts.add(layer);
  world.host.mountInfoReads = 0;
  const before = world.exec.calls.length;
  await world.service.unpublishVolume({ volumeId: volume.volumeId, targetPath: target });
  assert.deepEqual(world.exec.calls.slice(before), [
    ["umount", target],
    ["umount", target],
  ]);
  assert.deepEqual(world.host.mounts.at(target), []);
  assert.equal(world.host.mountInfoReads, 3);
});
