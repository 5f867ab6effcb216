import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeWorld, stageRequest, stagingPathOf } from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";

test("a crash during mkfs leaves a journal record, and the next stage formats again and mounts", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  world.exec.crashDuring("mkfs.xfs");
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume, "xfs")),
    "Internal",
    /formatting \/dev\/vdb as xfs failed \(the next NodeStageVolume formats it again\): .*killed by SIGKILL/,
  );
  const record = JSON.parse((await world.host.readText(world.journalFile(volume.volumeId))) ?? "null");
  assert.deepEqual(record, {
    volumeId: volume.volumeId,
    device: "/dev/vdb",
    fsType: "xfs",
    uuid: "00000000-0000-4000-8000-000000000001",
    startedAt: "2026-01-01T00:00:00.000Z",
  });
  assert.deepEqual(volume.disk.allSignatures(), []);

  const before = world.exec.calls.length;
  await world.service.stageVolume(stageRequest(volume, "xfs"));
  const staging = stagingPathOf(volume.volumeId);
  assert.deepEqual(world.exec.calls.slice(before, before + 4), [
    ["blkid", "-p", "-o", "export", "/dev/vdb"],
    ["wipefs", "--no-act", "--json", "/dev/vdb"],
    ["mkfs.xfs", "-f", "-q", "-K", "-m", "uuid=00000000-0000-4000-8000-000000000002", "/dev/vdb"],
    ["mount", "-t", "xfs", "-o", "nouuid", "/dev/vdb", staging],
  ]);
  assert.equal(volume.disk.filesystem?.type, "xfs");
  assert.equal(world.host.mounts.top(staging)?.fsType, "xfs");
  assert.equal(await world.host.readText(world.journalFile(volume.volumeId)), undefined);
});

test("a journal record is dropped when the device holds a complete filesystem with another UUID", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  volume.disk.makeFilesystem("ext4", "99999999-8888-4777-8666-555555555555");
  await world.host.mkdirp("/var/lib/ballast/formats");
  world.host.writeFile(
    world.journalFile(volume.volumeId),
    JSON.stringify({
      volumeId: volume.volumeId,
      device: "/dev/vdb",
      fsType: "ext4",
      uuid: "00000000-0000-4000-8000-0000000000aa",
      startedAt: "2025-12-31T00:00:00.000Z",
    }),
  );
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs", "dumpe2fs", "mount"]);
  assert.equal(volume.disk.filesystem?.uuid, "99999999-8888-4777-8666-555555555555");
  assert.equal(await world.host.readText(world.journalFile(volume.volumeId)), undefined);
  assert.deepEqual(world.uuids, []);
});

test("without a journal record, mkfs.xfs never gets -f", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume, "xfs"));
  const mkfs = world.exec.calls.find(([command]) => command === "mkfs.xfs");
  assert.deepEqual(mkfs, [
    "mkfs.xfs",
    "-q",
    "-K",
    "-m",
    "uuid=00000000-0000-4000-8000-000000000001",
    "/dev/vdb",
  ]);
});

test("a power loss after a format has finished brings no journal record back, and the next stage keeps the filesystem", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  const staging = stagingPathOf(volume.volumeId);
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  await world.service.unstageVolume({ volumeId: volume.volumeId, stagingPath: staging });
  world.host.powerLoss();
  assert.equal(await world.host.readText(world.journalFile(volume.volumeId)), undefined);
  const before = world.exec.calls.length;
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  assert.deepEqual(world.exec.commands().slice(before), ["blkid", "wipefs", "dumpe2fs", "mount"]);
  assert.equal(volume.disk.filesystem?.uuid, "00000000-0000-4000-8000-000000000001");
});

/** A journal record of a format that finished: mkfs made the filesystem, the plugin died before removing the record. */
async function recordOfFinishedFormat(
  world: FakeNodeWorld,
  volumeId: string,
  fsType: "ext4" | "xfs",
  uuid: string,
) {
  await world.host.mkdirp("/var/lib/ballast/formats");
  world.host.writeFile(
    world.journalFile(volumeId),
    JSON.stringify({ volumeId, device: "/dev/vdb", fsType, uuid, startedAt: "2025-12-31T00:00:00.000Z" }),
  );
}

for (const [fsType, check] of [
  ["ext4", "dumpe2fs"],
  ["xfs", "xfs_db"],
] as const) {
  test(`${fsType}: a record of a format that finished does not license formatting its filesystem once it has been mounted`, async () => {
    const world = await FakeNodeWorld.create();
    const volume = world.attachVolume();
    const uuid = "00000000-0000-4000-8000-0000000000bb";
    volume.disk.makeFilesystem(fsType, uuid);
    const filesystem = volume.disk.filesystem;
    assert.ok(filesystem);
    filesystem.mountedSinceMkfs = true;
    await recordOfFinishedFormat(world, volume.volumeId, fsType, uuid);

    await world.service.stageVolume(stageRequest(volume, fsType));

    assert.deepEqual(world.exec.commands().slice(0, 3), ["blkid", "wipefs", check]);
    assert.equal(world.exec.commands().includes(`mkfs.${fsType}`), false);
    assert.equal(volume.disk.filesystem, filesystem);
    assert.equal(world.host.mounts.top(stagingPathOf(volume.volumeId))?.fsType, fsType);
    assert.equal(await world.host.readText(world.journalFile(volume.volumeId)), undefined);
    assert.deepEqual(world.uuids, []);
  });

  test(`${fsType}: a record of a format that finished, whose filesystem was never mounted, has the device formatted again`, async () => {
    const world = await FakeNodeWorld.create();
    const volume = world.attachVolume();
    const uuid = "00000000-0000-4000-8000-0000000000bb";
    volume.disk.makeFilesystem(fsType, uuid);
    await recordOfFinishedFormat(world, volume.volumeId, fsType, uuid);

    await world.service.stageVolume(stageRequest(volume, fsType));

    assert.deepEqual(world.exec.commands().slice(0, 4), ["blkid", "wipefs", check, `mkfs.${fsType}`]);
    assert.equal(volume.disk.filesystem?.uuid, "00000000-0000-4000-8000-000000000001");
    assert.equal(await world.host.readText(world.journalFile(volume.volumeId)), undefined);
  });
}
