import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeWorld, GiB, MiB, stageRequest, stagingPathOf } from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";

test("a blank device is formatted with the chosen UUID and then mounted at the staging path", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  const staging = stagingPathOf(volume.volumeId);
  assert.deepEqual(world.exec.calls, [
    ["blkid", "-p", "-o", "export", "/dev/vdb"],
    ["wipefs", "--no-act", "--json", "/dev/vdb"],
    ["mkfs.ext4", "-F", "-q", "-E", "nodiscard", "-U", world.uuids[0], "/dev/vdb"],
    ["mount", "-t", "ext4", "/dev/vdb", staging],
  ]);
  assert.equal(volume.disk.filesystem?.uuid, "00000000-0000-4000-8000-000000000001");
  const mount = world.host.mounts.top(staging);
  assert.deepEqual([mount?.fsType, mount?.source, mount?.major, mount?.minor], ["ext4", "/dev/vdb", 253, 0]);
  assert.equal(await world.host.readText(world.journalFile(volume.volumeId)), undefined);
});

test("a device that already holds the requested filesystem is mounted without mkfs", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("xfs", "11111111-2222-4333-8444-555555555555");
  await world.service.stageVolume(stageRequest(volume, "xfs"));
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs", "mount", "xfs_info"]);
  assert.deepEqual(world.exec.calls[2], [
    "mount",
    "-t",
    "xfs",
    "-o",
    "nouuid",
    "/dev/vdb",
    stagingPathOf(volume.volumeId),
  ]);
  assert.equal(volume.disk.filesystem?.uuid, "11111111-2222-4333-8444-555555555555");
});

test("a device holding another filesystem type is refused with FailedPrecondition and neither formatted nor mounted", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("xfs", "11111111-2222-4333-8444-555555555555");
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume, "ext4")),
    "FailedPrecondition",
    /already holds a xfs filesystem but ext4 was requested; nothing was changed/,
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
  assert.equal(volume.disk.filesystem?.type, "xfs");
  assert.equal(world.host.mounts.top(stagingPathOf(volume.volumeId)), undefined);
});

test("unrecognised data at 2 MiB of a 1 GiB device is refused, naming the byte", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  volume.disk.write(2n * MiB + 17n, Buffer.from([0x42]));
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    new RegExp(`holds data that blkid and wipefs do not recognise at byte ${2n * MiB + 17n}; refusing`),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
});

test("unrecognised data in the last MiB of a 1 GiB device is refused, naming the byte", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  volume.disk.write(GiB - 4096n, Buffer.from("tail"));
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    new RegExp(`do not recognise at byte ${GiB - 4096n};`),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
});

test("the blank check of a 1 GiB device opens it once and closes it before mkfs", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  assert.deepEqual(world.host.readOpens.get(volume.device.path), { opened: 1, open: 0 });
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs", "mkfs.ext4", "mount"]);
});

test("with data in two sampled windows, the earlier byte is the one named", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  volume.disk.write(4n * MiB + 9n, Buffer.from([0x01]));
  volume.disk.write(2n * MiB + 17n, Buffer.from([0x42]));
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    new RegExp(`do not recognise at byte ${2n * MiB + 17n};`),
  );
});

test("a device whose reads fail is closed again after the failed check", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  volume.disk.readError = "input/output error";
  await assert.rejects(world.service.stageVolume(stageRequest(volume)));
  assert.deepEqual(world.host.readOpens.get(volume.device.path), { opened: 1, open: 0 });
});

test("a device whose reads fail is FailedPrecondition and mkfs never runs", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.readError = "input/output error";
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /device \/dev\/vdb cannot be read at byte 0: EIO: input\/output error/,
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
  assert.equal(volume.disk.filesystem, undefined);
});

test("two signatures on a device (blkid exit 8) are FailedPrecondition naming both", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("ext4", "11111111-2222-4333-8444-555555555555");
  volume.disk.signatures.push({ type: "LVM2_member", usage: "raid", offset: 0x218n });
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /more than one signature \(ext4 at offset 0x438, LVM2_member at offset 0x218\)/,
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
});

test("a by-id link to a device with no serial and no loop backing file is refused and nothing runs", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.device.serial = undefined;
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    /gives no proof that it is this volume: it reports no serial and is no loop device/,
  );
  assert.deepEqual(world.exec.calls, []);
  assert.equal(world.host.tree.lookup(stagingPathOf(volume.volumeId)), undefined);
});

test("a loop device backed by the volume's file is accepted as the volume's", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.device.serial = undefined;
  volume.device.backingFile = `/var/lib/ballast-cloud/volumes/${volume.volumeId}.img`;
  await world.service.stageVolume(stageRequest(volume));
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs", "mkfs.ext4", "mount"]);
});

test("a failed stage removes the staging directories it created and leaves nothing mounted", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.write(0n, Buffer.from("somebody's data"));
  const staging = stagingPathOf(volume.volumeId);
  await rejectsWithKind(world.service.stageVolume(stageRequest(volume)), "FailedPrecondition", /at byte 0;/);
  assert.equal(world.host.tree.lookup(staging), undefined);
  assert.equal(world.host.tree.lookup("/var/lib/kubelet/plugins"), undefined);
  assert.ok(world.host.tree.lookup("/var/lib/kubelet"));
  assert.deepEqual(world.host.mounts.at(staging), []);
});

test("a failed stage keeps a staging directory the CO had already made", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.write(0n, Buffer.from("somebody's data"));
  const staging = stagingPathOf(volume.volumeId);
  await world.host.mkdirp(staging);
  await rejectsWithKind(world.service.stageVolume(stageRequest(volume)), "FailedPrecondition", /at byte 0;/);
  assert.equal(world.host.tree.lookup(staging)?.node.kind, "directory");
});
