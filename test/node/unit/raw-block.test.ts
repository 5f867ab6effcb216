import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeWorld, stageRequest, stagingPathOf, targetPathOf } from "../fakes/fake-node.js";

test("a raw block volume is bound onto a file at the target once, and unpublish removes that file", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  const block = { kind: "block" as const };
  await world.service.stageVolume(stageRequest(volume, "ext4", { access: block }));
  const target = targetPathOf(volume.volumeId);
  const request = {
    volumeId: volume.volumeId,
    stagingPath: stagingPathOf(volume.volumeId),
    targetPath: target,
    hint: { serial: volume.volumeId.slice(0, 20), byIdPath: volume.link },
    access: block,
    readOnly: false,
    singleWriter: false,
  };
  await world.service.publishVolume(request);
  await world.service.publishVolume(request);
  assert.deepEqual(world.exec.calls, [["mount", "--bind", "/dev/vdb", target]]);
  assert.deepEqual(await world.host.stat(target), {
    kind: "block-device",
    size: 0n,
    device: { major: 253, minor: 0 },
  });
  await world.service.unpublishVolume({ volumeId: volume.volumeId, targetPath: target });
  assert.deepEqual(world.exec.calls.at(-1), ["umount", target]);
  assert.equal(world.host.tree.lookup(target), undefined);
  assert.equal(volume.disk.filesystem, undefined);
});
