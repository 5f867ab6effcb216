import assert from "node:assert/strict";
import { test } from "node:test";
import type { FakeDevice } from "../fakes/fake-devices.js";
import { FakeDisk } from "../fakes/fake-disk.js";
import { FAKE_BY_ID_DIR, FAKE_MOUNTINFO } from "../fakes/fake-host.js";
import {
  FakeNodeWorld,
  type FakeVolume,
  MiB,
  stageRequest,
  stagingPathOf,
  targetPathOf,
} from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";

/*
 * find() proves a device by its kernel name, and stage and publish act on that name long after:
 * a force-detach of the volume and the attach of another one can hand the name, and its numbers,
 * to the other volume's disk in between. Each test swaps the device at one step and checks that
 * the step refuses it and leaves both disks as they were.
 */

const B_UUID = "bbbbbbbb-0000-4000-8000-000000000002";

/** Another volume's disk holding an ext4 of its own, the size of `volume`'s. */
function diskWithExt4(volume: FakeVolume, filesystemBytes = volume.disk.sizeBytes): FakeDisk {
  const disk = new FakeDisk(volume.disk.sizeBytes);
  disk.makeFilesystem("ext4", B_UUID);
  if (disk.filesystem !== undefined) disk.filesystem.sizeBytes = filesystemBytes;
  return disk;
}

/** Swaps `volume`'s device for `swap()`'s the first time `program` is about to run. */
function swapBeforeRun(world: FakeNodeWorld, program: string, swap: () => void): void {
  world.exec.beforeRun = (command) => {
    if (command !== program) return;
    world.exec.beforeRun = undefined;
    swap();
  };
}

function refusal(volume: FakeVolume, why: string): string {
  return `refusing device for volume ${volume.volumeId} (serial ${volume.volumeId}) at ${volume.link}: /dev/vdb changed after it was proven, ${why}`;
}

test("a device replaced by a blank one of another volume (same name and numbers) during the blank check is refused before mkfs", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  let other: FakeVolume | undefined;
  world.host.beforeHandleRead = () => {
    world.host.beforeHandleRead = undefined;
    other = world.replaceDevice(volume);
  };
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, `before formatting it as ext4: /dev/vdb reports serial "${other?.volumeId}"`),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
  assert.deepEqual([other?.device.major, other?.device.minor], [253, 0]);
  assert.equal(other?.disk.filesystem, undefined);
  assert.deepEqual(other?.disk.read(0n, Number(MiB)), Buffer.alloc(Number(MiB)));
  assert.equal(await world.host.readText(world.journalFile(volume.volumeId)), undefined);
  assert.equal(world.host.tree.lookup(stagingPathOf(volume.volumeId)), undefined);
});

test("a device node that now names another device while the proven numbers still prove the volume is refused before mkfs", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  let other: FakeVolume | undefined;
  swapBeforeRun(world, "wipefs", () => {
    other = world.replaceDevice(volume, new FakeDisk(volume.disk.sizeBytes), { major: 253, minor: 16 });
    world.attachDisk(volume.disk, volume.volumeId, { name: "vdc", numbers: { major: 253, minor: 0 } });
  });
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, "before formatting it as ext4: /dev/vdb is device 253:16 now, not 253:0"),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
  assert.equal(other?.disk.filesystem, undefined);
  assert.equal(volume.disk.filesystem, undefined);
});

test("a device replaced by another volume's holding ext4 before the offline grow is refused and nothing is checked or grown", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("ext4", "aaaaaaaa-0000-4000-8000-000000000001");
  let other: FakeVolume | undefined;
  swapBeforeRun(world, "dumpe2fs", () => {
    other = world.replaceDevice(volume, diskWithExt4(volume, 4n * MiB));
  });
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, `before growing its ext4 offline: /dev/vdb reports serial "${other?.volumeId}"`),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs", "dumpe2fs"]);
  assert.deepEqual(other?.disk.filesystem, {
    type: "ext4",
    uuid: B_UUID,
    sizeBytes: 4n * MiB,
    checked: true,
    mountedSinceMkfs: false,
  });
});

test("a device replaced by another volume's holding the requested ext4 before the mount is refused and nothing is mounted", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("ext4", "aaaaaaaa-0000-4000-8000-000000000001");
  let other: FakeVolume | undefined;
  swapBeforeRun(world, "dumpe2fs", () => {
    other = world.replaceDevice(volume, diskWithExt4(volume));
  });
  const staging = stagingPathOf(volume.volumeId);
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, `before mounting it at ${staging}: /dev/vdb reports serial "${other?.volumeId}"`),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs", "dumpe2fs"]);
  assert.deepEqual(world.host.mounts.at(staging), []);
  assert.equal(world.host.tree.lookup(staging), undefined);
  assert.equal(other?.disk.filesystem?.mountedSinceMkfs, false);
});

test("a mount that serves other device numbers than the proven ones is unmounted again and the stage fails", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("ext4", "aaaaaaaa-0000-4000-8000-000000000001");
  swapBeforeRun(world, "mount", () => {
    world.replaceDevice(volume, diskWithExt4(volume), { major: 253, minor: 16 });
  });
  const staging = stagingPathOf(volume.volumeId);
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, `while mounting it at ${staging}: the new mount serves device 253:16, not 253:0`),
  );
  assert.deepEqual(world.exec.calls.slice(-2), [
    ["mount", "-t", "ext4", "/dev/vdb", staging],
    ["umount", staging],
  ]);
  assert.deepEqual(world.host.mounts.at(staging), []);
  assert.equal(world.host.tree.lookup(staging), undefined);
});

test("a mount of the proven numbers that another volume's disk took during the mount is unmounted again and the stage fails", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("ext4", "aaaaaaaa-0000-4000-8000-000000000001");
  let other: FakeVolume | undefined;
  swapBeforeRun(world, "mount", () => {
    other = world.replaceDevice(volume, diskWithExt4(volume));
  });
  const staging = stagingPathOf(volume.volumeId);
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, `while mounting it at ${staging}: /dev/vdb reports serial "${other?.volumeId}"`),
  );
  assert.deepEqual(world.exec.calls.slice(-2), [
    ["mount", "-t", "ext4", "/dev/vdb", staging],
    ["umount", staging],
  ]);
  assert.deepEqual(world.host.mounts.at(staging), []);
});

function blockPublish(volume: FakeVolume) {
  return {
    volumeId: volume.volumeId,
    stagingPath: stagingPathOf(volume.volumeId),
    targetPath: targetPathOf(volume.volumeId),
    hint: { serial: volume.volumeId, byIdPath: volume.link },
    access: { kind: "block" as const },
    readOnly: false,
    singleWriter: false,
  };
}

test("a raw block device replaced by another volume's after it was found is refused and nothing is bound", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume, "ext4", { access: { kind: "block" } }));
  let other: FakeVolume | undefined;
  world.host.beforeRead = (path) => {
    if (path !== FAKE_MOUNTINFO) return;
    world.host.beforeRead = undefined;
    other = world.replaceDevice(volume);
  };
  const target = targetPathOf(volume.volumeId);
  const message = await rejectsWithKind(
    world.service.publishVolume(blockPublish(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, `before binding it at ${target}: /dev/vdb reports serial "${other?.volumeId}"`),
  );
  assert.deepEqual(world.exec.calls, []);
  assert.deepEqual(world.host.mounts.at(target), []);
  assert.equal(world.host.tree.lookup(target), undefined);
});

test("a raw block bind of the proven numbers that another volume's disk took during the bind is undone", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume, "ext4", { access: { kind: "block" } }));
  let other: FakeVolume | undefined;
  swapBeforeRun(world, "mount", () => {
    other = world.replaceDevice(volume);
  });
  const target = targetPathOf(volume.volumeId);
  const message = await rejectsWithKind(
    world.service.publishVolume(blockPublish(volume)),
    "FailedPrecondition",
    /changed after it was proven/,
  );
  assert.equal(
    message,
    refusal(volume, `while binding it at ${target}: /dev/vdb reports serial "${other?.volumeId}"`),
  );
  assert.deepEqual(world.exec.calls, [
    ["mount", "--bind", "/dev/vdb", target],
    ["umount", target],
  ]);
  assert.deepEqual(world.host.mounts.at(target), []);
  assert.equal(world.host.tree.lookup(target), undefined);
});

test("a device node that names another device by the end of its proof is refused as changed while it was being verified", async () => {
  const world = await FakeNodeWorld.create({ deviceWaitMs: 0 });
  const volume = world.attachVolume();
  const disk = new FakeDisk(volume.disk.sizeBytes);
  let newcomer: FakeDevice | undefined;
  world.host.beforeRead = (path) => {
    if (path !== FAKE_BY_ID_DIR) return;
    world.host.beforeRead = undefined;
    world.host.detach(volume.device);
    newcomer = world.host.attach(disk, { name: "vdb", numbers: { major: 253, minor: 16 } });
  };
  const message = await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /changed while it was being verified/,
  );
  assert.equal(
    message,
    `refusing device for volume ${volume.volumeId} (serial ${volume.volumeId}) at ${volume.link}: /dev/vdb changed while it was being verified`,
  );
  assert.deepEqual(world.exec.calls, []);
  assert.deepEqual([newcomer?.path, newcomer?.major, newcomer?.minor], ["/dev/vdb", 253, 16]);
  assert.equal(disk.filesystem, undefined);
});
