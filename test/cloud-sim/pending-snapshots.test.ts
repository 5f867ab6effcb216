import assert from "node:assert/strict";
import { mkdtemp, open, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Contract } from "../../src/cloud-sim/contract.js";
import { startReferenceCloud } from "../../src/cloud-sim/index.js";
import { runProgram } from "../../src/cloud-sim/run-program.js";
import type { components } from "../../src/generated/block-storage.v1.js";
import { type Operation, type Problem, startTestCloud, type TestCloud, uniqueName, wrap } from "./harness.js";

type Schemas = components["schemas"];
type Snapshot = Schemas["Snapshot"];

const BEFORE = Buffer.from("written before the snapshot\n");
const AFTER = Buffer.from("WRITTEN AFTER THE SNAPSHOT!\n");

function imageOf(c: TestCloud, volumeId: string): string {
  return join(c.cloud.dataDir, "volumes", `${volumeId}.img`);
}

/** Writes at the start of a volume's backing file, as a guest writing through its disk would. */
async function writeAtStart(path: string, data: Buffer): Promise<void> {
  const file = await open(path, "r+");
  try {
    await file.write(data, 0, data.length, 0);
  } finally {
    await file.close();
  }
}

async function readStart(path: string, length: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, 0);
    return buffer;
  } finally {
    await file.close();
  }
}

async function newVolume(c: TestCloud): Promise<string> {
  const created = await c.done("POST", "/v1/volumes", {
    name: uniqueName("vol"),
    zone: "ref-1a",
    sizeGiB: 1,
  });
  return created.resourceId;
}

test("deleting a pending snapshot is accepted, cancels its creation and leaves no snapshot or file", async (t) => {
  const c = await startTestCloud(t, { operationLatencyMs: { createSnapshot: 60_000, deleteSnapshot: 10 } });
  const volumeId = await newVolume(c);
  const created = await c.call<Operation>("POST", "/v1/snapshots", {
    name: uniqueName("snap"),
    sourceVolumeId: volumeId,
  });
  assert.equal(created.status, 202);
  const snapshotId = created.body.resourceId;

  const deleted = await c.call<Operation>("DELETE", `/v1/snapshots/${snapshotId}`);
  assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
  assert.equal((await c.settle(deleted.body.id)).status, "succeeded");

  const fetched = await c.call<Problem>("GET", `/v1/snapshots/${snapshotId}`);
  assert.equal(fetched.status, 404);
  assert.equal(fetched.body.code, "not_found");
  const creation = await c.call<Operation>("GET", `/v1/operations/${created.body.id}`);
  assert.equal(creation.body.status, "failed");
  assert.equal(creation.body.error?.detail, `snapshot ${snapshotId} was deleted before it became available`);
  assert.deepEqual(await readdir(join(c.cloud.dataDir, "snapshots")), []);
});

test("a volume whose snapshot is pending can be deleted and the snapshot keeps the data of its point in time", async (t) => {
  const c = await startTestCloud(t, {
    operationLatencyMs: { createSnapshot: 1_500, createVolume: 10, deleteVolume: 10 },
  });
  const volumeId = await newVolume(c);
  await writeAtStart(imageOf(c, volumeId), BEFORE);
  const created = await c.call<Operation>("POST", "/v1/snapshots", {
    name: uniqueName("snap"),
    sourceVolumeId: volumeId,
  });
  assert.equal(created.status, 202);
  await writeAtStart(imageOf(c, volumeId), AFTER);

  const deleted = await c.call<Operation>("DELETE", `/v1/volumes/${volumeId}`);
  assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
  assert.equal((await c.settle(deleted.body.id)).status, "succeeded");
  assert.equal((await c.call("GET", `/v1/volumes/${volumeId}`)).status, 404);

  const pending = await c.call<Snapshot>("GET", `/v1/snapshots/${created.body.resourceId}`);
  assert.equal(pending.body.status, "pending");
  assert.equal((await c.settle(created.body.id)).status, "succeeded");
  const snapshot = await c.call<Snapshot>("GET", `/v1/snapshots/${created.body.resourceId}`);
  assert.equal(snapshot.body.status, "available");

  const restored = await c.done("POST", "/v1/volumes", {
    name: uniqueName("restored"),
    zone: "ref-1a",
    sourceSnapshotId: created.body.resourceId,
  });
  assert.deepEqual(await readStart(imageOf(c, restored.resourceId), BEFORE.length), BEFORE);
});

test("a snapshot whose copy fails ends in error", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-pending-snapshots-"));
  const cloud = await startReferenceCloud(
    { dataDir: join(dir, "data"), byIdDir: join(dir, "by-id"), operationLatencyMs: 10, localAttach: false },
    {
      contract: Contract.load(),
      run: (program, args, options) =>
        args.includes("--reflink=auto")
          ? Promise.reject(new Error("cp: error writing: No space left on device"))
          : runProgram(program, args, options),
    },
  );
  t.after(async () => {
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  });
  const c = wrap(cloud, dir);
  const volumeId = await newVolume(c);
  const created = await c.call<Operation>("POST", "/v1/snapshots", {
    name: "snap-full-disk",
    sourceVolumeId: volumeId,
  });
  const operation = await c.settle(created.body.id);
  assert.equal(operation.status, "failed");
  assert.match(operation.error?.detail ?? "", /No space left on device/);
  const snapshot = await c.call<Snapshot>("GET", `/v1/snapshots/${created.body.resourceId}`);
  assert.equal(snapshot.body.status, "error");
});

test("a restart removes a partial capture and redoes the capture of a pending snapshot", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-pending-snapshots-"));
  const config = {
    dataDir: join(dir, "data"),
    byIdDir: join(dir, "by-id"),
    operationLatencyMs: { createSnapshot: 2_000, createVolume: 10 },
    localAttach: false,
  };
  const contract = Contract.load();
  const first = wrap(await startReferenceCloud(config, { contract }), dir);
  const volumeId = await newVolume(first);
  await writeAtStart(imageOf(first, volumeId), BEFORE);
  const created = await first.call<Operation>("POST", "/v1/snapshots", {
    name: "snap-crash",
    sourceVolumeId: volumeId,
  });
  const snapshotId = created.body.resourceId;
  await first.cloud.close();

  // What a crash in the middle of the copy leaves: a torn `.partial` and no image.
  const snapshots = join(config.dataDir, "snapshots");
  await rm(join(snapshots, `${snapshotId}.img`));
  await writeFile(join(snapshots, `${snapshotId}.img.partial`), "torn");
  const second = wrap(await startReferenceCloud(config, { contract }), dir);
  t.after(async () => {
    await second.cloud.close();
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal((await second.settle(created.body.id)).status, "succeeded");
  assert.deepEqual(await readdir(snapshots), [`${snapshotId}.img`]);
  assert.deepEqual(await readStart(join(snapshots, `${snapshotId}.img`), BEFORE.length), BEFORE);
});
