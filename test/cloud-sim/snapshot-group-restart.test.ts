import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Contract } from "../../src/cloud-sim/contract.js";
import { startReferenceCloud } from "../../src/cloud-sim/index.js";
import type { components } from "../../src/generated/block-storage.v1.js";
import { type TestCloud, wrap } from "./harness.js";

type Schemas = components["schemas"];

async function newVolume(c: TestCloud, name: string): Promise<string> {
  const operation = await c.done("POST", "/v1/volumes", { name, zone: "ref-1a", sizeGiB: 1 });
  return operation.resourceId;
}

test("a snapshot group and its members outlive a restart of the cloud, and delete afterwards", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-group-restart-"));
  const config = {
    dataDir: join(dir, "data"),
    byIdDir: join(dir, "by-id"),
    operationLatencyMs: 10,
    localAttach: false,
  };
  const contract = Contract.load();
  const first = wrap(await startReferenceCloud(config, { contract }), dir);
  const volumes = [await newVolume(first, "restart-a"), await newVolume(first, "restart-b")];
  const created = await first.done("POST", "/v1/snapshot-groups", {
    name: "restart-group",
    sourceVolumeIds: volumes,
  });
  const group = created.snapshotGroup as Schemas["SnapshotGroup"];
  await first.cloud.close();

  const second = wrap(await startReferenceCloud(config, { contract }), dir);
  t.after(async () => {
    await second.cloud.close();
    await rm(dir, { recursive: true, force: true });
  });
  const listed = await second.call<Schemas["SnapshotGroupList"]>(
    "GET",
    "/v1/snapshot-groups?name=restart-group",
  );
  assert.deepEqual(listed.body.items, [group]);
  const replay = await second.call<Schemas["Operation"]>("POST", "/v1/snapshot-groups", {
    name: "restart-group",
    sourceVolumeIds: volumes,
  });
  assert.equal(replay.body.resourceId, group.id);
  await second.done("DELETE", `/v1/snapshot-groups/${group.id}`);
  assert.deepEqual(await readdir(join(config.dataDir, "snapshots")), []);
});

test("a group whose members would pass the snapshot quota is quota_exceeded, and makes nothing", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-group-quota-"));
  const config = {
    dataDir: join(dir, "data"),
    byIdDir: join(dir, "by-id"),
    operationLatencyMs: 10,
    localAttach: false,
    quotas: { maxSnapshots: 2 },
  };
  const c = wrap(await startReferenceCloud(config, { contract: Contract.load() }), dir);
  t.after(async () => {
    await c.cloud.close();
    await rm(dir, { recursive: true, force: true });
  });
  const volumes = [
    await newVolume(c, "quota-a"),
    await newVolume(c, "quota-b"),
    await newVolume(c, "quota-c"),
  ];
  const refused = await c.call<Schemas["Problem"]>("POST", "/v1/snapshot-groups", {
    name: "too-many",
    sourceVolumeIds: volumes,
  });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.code, "quota_exceeded");
  assert.equal(refused.body.detail, "sourceVolumeIds: 3 more snapshots exceed the quota of 2 (0 used)");
  const snapshots = await c.call<Schemas["SnapshotList"]>("GET", "/v1/snapshots");
  assert.deepEqual(snapshots.body.items, []);
});
