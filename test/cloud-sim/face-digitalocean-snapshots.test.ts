import assert from "node:assert/strict";
import { test } from "node:test";
import { type FaceCloud, startFace } from "./face-harness.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function volume(c: FaceCloud, name: string, size = 2): Promise<string> {
  const created = await c.call("POST", "/v2/volumes", { name, size_gigabytes: size, region: "nyc1" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.volume.id;
}

test("a snapshot answers 201 with a UUID, its volume, region and size; get and list answer it too", async (t) => {
  const c = await startFace(t, "digitalocean");
  const id = await volume(c, "source");
  const created = await c.call("POST", `/v2/volumes/${id}/snapshots`, { name: "snap-1", tags: ["ballast"] });
  assert.equal(created.status, 201);
  const snapshot = created.body.snapshot;
  assert.match(snapshot.id, UUID);
  assert.deepEqual(
    [snapshot.name, snapshot.resource_id, snapshot.resource_type, snapshot.regions, snapshot.min_disk_size],
    ["snap-1", id, "volume", ["nyc1"], 2],
  );
  assert.deepEqual(snapshot.tags, ["ballast"]);
  const got = await c.call("GET", `/v2/volumes/snapshots/${snapshot.id}`);
  assert.deepEqual(got.body.snapshot, snapshot);
  const listed = await c.call("GET", `/v2/volumes/${id}/snapshots`);
  assert.deepEqual(listed.body.snapshots, [snapshot]);
  assert.equal(listed.body.meta.total, 1);
});

test("the snapshots of one volume list only that volume's", async (t) => {
  const c = await startFace(t, "digitalocean");
  const a = await volume(c, "vol-a");
  const b = await volume(c, "vol-b");
  await c.call("POST", `/v2/volumes/${a}/snapshots`, { name: "of-a" });
  await c.call("POST", `/v2/volumes/${b}/snapshots`, { name: "of-b" });
  const listed = await c.call("GET", `/v2/volumes/${a}/snapshots`);
  assert.deepEqual(
    listed.body.snapshots.map((s: { name: string }) => s.name),
    ["of-a"],
  );
});

test("a second snapshot under a taken name answers 409 conflict and makes nothing", async (t) => {
  const c = await startFace(t, "digitalocean");
  const id = await volume(c, "source");
  await c.call("POST", `/v2/volumes/${id}/snapshots`, { name: "same" });
  const again = await c.call("POST", `/v2/volumes/${id}/snapshots`, { name: "same" });
  assert.equal(again.status, 409);
  assert.deepEqual([again.body.id, again.body.message], ["conflict", "a snapshot named same already exists"]);
  assert.equal((await c.call("GET", `/v2/volumes/${id}/snapshots`)).body.meta.total, 1);
});

test("a snapshot of an unknown volume answers 404", async (t) => {
  const c = await startFace(t, "digitalocean");
  const answer = await c.call("POST", "/v2/volumes/00000000-0000-4000-8000-000000000000/snapshots", {
    name: "orphan",
  });
  assert.equal(answer.status, 404);
  assert.equal(answer.body.id, "not_found");
});

test("a volume restored from a snapshot takes the size asked for; smaller than the snapshot answers 422", async (t) => {
  const c = await startFace(t, "digitalocean");
  const id = await volume(c, "source", 3);
  const snapshot = (await c.call("POST", `/v2/volumes/${id}/snapshots`, { name: "base" })).body.snapshot;
  const restored = await c.call("POST", "/v2/volumes", {
    name: "restored",
    size_gigabytes: 4,
    region: "nyc1",
    snapshot_id: snapshot.id,
  });
  assert.equal(restored.status, 201);
  assert.equal(restored.body.volume.size_gigabytes, 4);
  const small = await c.call("POST", "/v2/volumes", {
    name: "too-small",
    size_gigabytes: 2,
    region: "nyc1",
    snapshot_id: snapshot.id,
  });
  assert.equal(small.status, 422);
  assert.equal(small.body.message, "size_gigabytes: 2 is smaller than the snapshot's 3");
});

test("a restore into another region than the snapshot's answers 422", async (t) => {
  const c = await startFace(t, "digitalocean");
  const id = await volume(c, "source");
  const snapshot = (await c.call("POST", `/v2/volumes/${id}/snapshots`, { name: "here" })).body.snapshot;
  const answer = await c.call("POST", "/v2/volumes", {
    name: "there",
    size_gigabytes: 2,
    region: "fra1",
    snapshot_id: snapshot.id,
  });
  assert.equal(answer.status, 422);
  assert.equal(answer.body.message, `snapshot ${snapshot.id} is in region nyc1, not fra1`);
});

test("delete answers 204 once the snapshot is gone; then get answers 404", async (t) => {
  const c = await startFace(t, "digitalocean");
  const id = await volume(c, "source");
  const snapshot = (await c.call("POST", `/v2/volumes/${id}/snapshots`, { name: "doomed" })).body.snapshot;
  const deleted = await c.call("DELETE", `/v2/volumes/snapshots/${snapshot.id}`);
  assert.equal(deleted.status, 204);
  const got = await c.call("GET", `/v2/volumes/snapshots/${snapshot.id}`);
  assert.equal(got.status, 404);
  assert.equal(got.body.id, "not_found");
  assert.deepEqual((await c.call("GET", `/v2/volumes/${id}/snapshots`)).body.snapshots, []);
});

test("a snapshot outlives its volume and then lists no region", async (t) => {
  const c = await startFace(t, "digitalocean");
  const id = await volume(c, "short-lived");
  const snapshot = (await c.call("POST", `/v2/volumes/${id}/snapshots`, { name: "kept" })).body.snapshot;
  assert.equal((await c.call("DELETE", `/v2/volumes/${id}`)).status, 204);
  const got = await c.call("GET", `/v2/volumes/snapshots/${snapshot.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body.snapshot.regions, []);
});
