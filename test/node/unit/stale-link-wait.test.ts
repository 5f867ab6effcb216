import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeWorld, stageRequest, stagingPathOf } from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";

/*
 * udev removes an old attachment's link and makes the new one's in its own time, so a by-id link
 * that is broken, or leads to a device that is not the volume's, may just not be up to date yet:
 * the node waits for it as for a missing link, and only the end of the wait answers.
 */

test("a broken by-id link that udev points at the volume's device during the wait is waited for and staged", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  world.host.tree.place(volume.link, { kind: "symlink", target: "../../vdz" });
  world.clock.whileSleeping = (sleeps) => {
    if (sleeps.length === 2) world.host.tree.place(volume.link, { kind: "symlink", target: "../../vdb" });
  };
  await world.service.stageVolume(stageRequest(volume));
  assert.deepEqual(world.clock.sleeps, [50, 100]);
  const staging = stagingPathOf(volume.volumeId);
  assert.deepEqual(
    world.host.mounts.at(staging).map((mount) => [mount.source, mount.fsType]),
    [["/dev/vdb", "ext4"]],
  );
});

test("a by-id link that stays broken is NotFound naming it once the whole wait is over", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  world.host.tree.place(volume.link, { kind: "symlink", target: "../../vdz" });
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "NotFound",
    /points at nothing/,
  );
  assert.equal(message, `by-id link ${volume.link} of volume ${volume.volumeId} points at nothing`);
  assert.deepEqual(world.clock.sleeps, [50, 100, 200, 400, 250]);
  assert.deepEqual(world.exec.calls, []);
});

test("a by-id link to another volume's device is refused with what the last look found once the whole wait is over", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  const other = world.attachVolume();
  world.host.tree.place(volume.link, { kind: "symlink", target: "../../vdc" });
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /refusing device/,
  );
  assert.equal(
    message,
    `refusing device for volume ${volume.volumeId} (serial ${volume.volumeId}) at ${volume.link}: /dev/vdc reports serial "${other.volumeId}"`,
  );
  assert.deepEqual(world.clock.sleeps, [50, 100, 200, 400, 250]);
  assert.deepEqual(world.exec.calls, []);
  assert.equal(other.disk.filesystem, undefined);
});
