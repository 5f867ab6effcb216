import assert from "node:assert/strict";
import { test } from "node:test";
import { chunksOf, sampleWindows } from "../../../src/node/blank-sample.js";
import { FakeNodeWorld, GiB, MiB, stageRequest } from "../fakes/fake-node.js";
import { errno } from "../fakes/fake-tree.js";
import { rejectsWithKind } from "./expect-kind.js";

const RUN = 64;
const READS_IN_FLIGHT = 8;

function offsetsRead(world: FakeNodeWorld, device: string): bigint[] {
  return world.host.handleReads.filter((read) => read.path === device).map((read) => read.offset);
}

test("the blank check of a 1 GiB device reads every sampled chunk once, and formats it", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  const sample = chunksOf(sampleWindows(GiB));
  const read = world.host.handleReads.filter((one) => one.path === volume.device.path);
  assert.deepEqual(
    read.map((one) => `${one.offset}+${one.length}`).sort(),
    sample.map((chunk) => `${chunk.offset}+${chunk.length}`).sort(),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs", "mkfs.ext4", "mount"]);
});

test("the sample of a 1 GiB device reads no byte twice: both end MiBs and the 1022 spread windows between", () => {
  const windows = sampleWindows(GiB);
  for (let index = 1; index < windows.length; index++) {
    const before = windows[index - 1] as (typeof windows)[number];
    assert.ok((windows[index]?.offset ?? 0n) >= before.offset + before.length, `window ${index} overlaps`);
  }
  assert.equal(windows.length, 1024);
  assert.deepEqual(windows.at(-1), { offset: GiB - MiB, length: MiB });
});

test("the blank check reads each run of 64 sampled chunks last chunk first, the runs front to back", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  const sample = chunksOf(sampleWindows(GiB)).map((chunk) => chunk.offset);
  const expected: bigint[] = [];
  for (let start = 0; start < sample.length; start += RUN) {
    expected.push(...sample.slice(start, start + RUN).reverse());
  }
  assert.deepEqual(offsetsRead(world, volume.device.path), expected);
});

test("the blank check opens the device for reads past the page cache", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  assert.deepEqual(world.host.readOpenOptions, [{ direct: true }]);
});

test("data found in the first run of chunks stops the check, past the reads already in flight", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  volume.disk.write(2n * MiB + 17n, Buffer.from([0x42]));
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    new RegExp(`do not recognise at byte ${2n * MiB + 17n}; refusing`),
  );
  const sample = chunksOf(sampleWindows(GiB)).map((chunk) => chunk.offset);
  const secondRunLastFirst = sample.slice(RUN, 2 * RUN).reverse();
  const read = offsetsRead(world, volume.device.path);
  const pastFirstRun = read.slice(RUN);
  assert.ok(pastFirstRun.length < READS_IN_FLIGHT, `${pastFirstRun.length} reads past the first run`);
  assert.deepEqual(pastFirstRun, secondRunLastFirst.slice(0, pastFirstRun.length));
});

test("a read that fails later in sample order than data still names the data", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  const sample = chunksOf(sampleWindows(GiB));
  const failing = sample[40]?.offset as bigint;
  const data = (sample[5]?.offset as bigint) + 3n;
  volume.disk.write(data, Buffer.from([0x07]));
  world.host.beforeHandleRead = (path, offset) => {
    if (offset === failing) throw errno("EIO", "read", path);
  };
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    new RegExp(`do not recognise at byte ${data}; refusing`),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
});

test("a read that fails earlier in sample order than data is the answer, naming its byte", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  const sample = chunksOf(sampleWindows(GiB));
  const failing = sample[5]?.offset as bigint;
  volume.disk.write((sample[40]?.offset as bigint) + 3n, Buffer.from([0x07]));
  world.host.beforeHandleRead = (path, offset) => {
    if (offset === failing) throw errno("EIO", "read", path);
  };
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    new RegExp(`device /dev/vdb cannot be read at byte ${failing}: EIO`),
  );
  assert.deepEqual(world.exec.commands(), ["blkid", "wipefs"]);
  assert.equal(volume.disk.filesystem, undefined);
});

test("data only in the last MiB of a 1 GiB device is found after every earlier run reads zeros", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume(GiB);
  volume.disk.write(GiB - 100n, Buffer.from([0x01]));
  await rejectsWithKind(
    world.service.stageVolume(stageRequest(volume)),
    "FailedPrecondition",
    new RegExp(`do not recognise at byte ${GiB - 100n};`),
  );
  assert.equal(offsetsRead(world, volume.device.path).length, chunksOf(sampleWindows(GiB)).length);
});
