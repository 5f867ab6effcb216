import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { InstanceConfig } from "../../src/cloud-sim/index.js";
import { requireRoot } from "../helpers/root.js";
import { type FaceCloud, GiB, startFace } from "./face-harness.js";

const run = promisify(execFile);

const DROPLETS: InstanceConfig[] = [
  { id: "101", name: "droplet-a", zone: "nyc1", maxAttachedVolumes: 16 },
  { id: "102", name: "droplet-b", zone: "nyc1", maxAttachedVolumes: 16 },
  { id: "201", name: "droplet-fra", zone: "fra1", maxAttachedVolumes: 16 },
];

async function volume(c: FaceCloud, name: string, region = "nyc1"): Promise<string> {
  const created = await c.call("POST", "/v2/volumes", { name, size_gigabytes: 1, region });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.volume.id;
}

/** Starts an action and polls it at the volume's action path until it is no longer in progress. */
async function act(c: FaceCloud, volumeId: string, body: unknown): Promise<Record<string, unknown>> {
  const started = await c.call("POST", `/v2/volumes/${volumeId}/actions`, body);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  assert.equal(started.body.action.status, "in-progress");
  for (;;) {
    const polled = await c.call("GET", `/v2/volumes/${volumeId}/actions/${started.body.action.id}`);
    assert.equal(polled.status, 200);
    if (polled.body.action.status !== "in-progress") return polled.body.action;
    await sleep(5);
  }
}

test("attach answers an in-progress action that completes; then the volume and droplet show each other", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "to-attach");
  const started = await c.call("POST", `/v2/volumes/${id}/actions`, {
    type: "attach",
    droplet_id: 101,
    region: "nyc1",
  });
  assert.equal(started.status, 202);
  const action = started.body.action;
  assert.ok(Number.isInteger(action.id) && action.id > 0);
  assert.equal(action.type, "attach_volume");
  assert.equal(action.status, "in-progress");
  assert.equal(action.completed_at, null);
  assert.equal(action.region_slug, "nyc1");
  let polled = await c.call("GET", `/v2/actions/${action.id}`);
  while (polled.body.action.status === "in-progress") {
    await sleep(5);
    polled = await c.call("GET", `/v2/actions/${action.id}`);
  }
  assert.equal(polled.body.action.status, "completed");
  assert.equal(typeof polled.body.action.completed_at, "string");
  assert.deepEqual((await c.call("GET", `/v2/volumes/${id}`)).body.volume.droplet_ids, [101]);
  assert.deepEqual((await c.call("GET", "/v2/droplets/101")).body.droplet.volume_ids, [id]);
});

test("attach to the droplet it is attached to answers 422 'This volume is already attached'", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "twice");
  await act(c, id, { type: "attach", droplet_id: 101 });
  const again = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "attach", droplet_id: 101 });
  assert.equal(again.status, 422);
  assert.equal(again.body.id, "unprocessable_entity");
  assert.match(again.body.message, /^This volume is already attached/);
});

test("attach to a second droplet answers 422 naming the droplet it is attached to", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "single");
  await act(c, id, { type: "attach", droplet_id: 101 });
  const other = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "attach", droplet_id: 102 });
  assert.equal(other.status, 422);
  assert.equal(other.body.message, "The volume is attached to another Droplet (101); detach it first.");
});

test("an attach or detach while the other is in progress answers 422 'pending event'", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS, operationLatencyMs: 300 });
  const id = await volume(c, "pending");
  const started = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "attach", droplet_id: 101 });
  assert.equal(started.status, 202);
  const detach = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "detach", droplet_id: 101 });
  assert.equal(detach.status, 422);
  assert.equal(detach.body.message, "Droplet already has a pending event.");
});

test("detach completes and empties droplet_ids; a second detach answers 422 'Attachment not found'", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "to-detach");
  await act(c, id, { type: "attach", droplet_id: 101 });
  const detached = await act(c, id, { type: "detach", droplet_id: 101 });
  assert.equal(detached.type, "detach_volume");
  assert.equal(detached.status, "completed");
  assert.deepEqual((await c.call("GET", `/v2/volumes/${id}`)).body.volume.droplet_ids, []);
  const again = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "detach", droplet_id: 101 });
  assert.equal(again.status, 422);
  assert.equal(again.body.message, "Attachment not found");
});

test("attach to a droplet in another region answers 422", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "wrong-region");
  const answer = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "attach", droplet_id: 201 });
  assert.equal(answer.status, 422);
  assert.equal(answer.body.message, "Volume and Droplet must be in the same region.");
});

test("attach to an unknown droplet answers 404 not_found", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "nowhere");
  const answer = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "attach", droplet_id: 999 });
  assert.equal(answer.status, 404);
  assert.deepEqual([answer.body.id, answer.body.message], ["not_found", "droplet 999 not found"]);
});

test("a droplet takes 7 volumes; the 8th attach answers 422 naming the limit", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  for (let n = 1; n <= 7; n++)
    await act(c, await volume(c, `seven-${n}`), { type: "attach", droplet_id: 101 });
  const eighth = await volume(c, "eighth");
  const answer = await c.call("POST", `/v2/volumes/${eighth}/actions`, { type: "attach", droplet_id: 101 });
  assert.equal(answer.status, 422);
  assert.equal(answer.body.message, "Droplet 101 already has the maximum number of volumes attached (7).");
  assert.equal((await c.call("GET", "/v2/droplets/101")).body.droplet.volume_ids.length, 7);
});

test("an attach body without droplet_id answers 400 bad_request", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "no-droplet");
  const answer = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "attach", size_gigabytes: 2 });
  assert.equal(answer.status, 400);
  assert.deepEqual(
    [answer.body.id, answer.body.message],
    ["bad_request", "droplet_id is required to attach"],
  );
});

test("resize grows the volume once the action completes; a smaller size answers 422", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "growing");
  const resized = await act(c, id, { type: "resize", size_gigabytes: 3, region: "nyc1" });
  assert.equal(resized.type, "resize_volume");
  assert.equal(resized.status, "completed");
  assert.equal((await c.call("GET", `/v2/volumes/${id}`)).body.volume.size_gigabytes, 3);
  const shrink = await c.call("POST", `/v2/volumes/${id}/actions`, { type: "resize", size_gigabytes: 2 });
  assert.equal(shrink.status, 422);
  assert.equal(shrink.body.message, "size_gigabytes: 2 is smaller than the current 3; volumes only grow");
});

test("an action polled under another volume's path answers 404", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const first = await volume(c, "first");
  const second = await volume(c, "second");
  const action = await act(c, first, { type: "resize", size_gigabytes: 2 });
  const answer = await c.call("GET", `/v2/volumes/${second}/actions/${action.id}`);
  assert.equal(answer.status, 404);
  assert.equal(answer.body.message, `action ${action.id} does not exist`);
});

test("delete of an attached volume answers 409 conflict and keeps it", async (t) => {
  const c = await startFace(t, "digitalocean", { instances: DROPLETS });
  const id = await volume(c, "attached");
  await act(c, id, { type: "attach", droplet_id: 101 });
  const answer = await c.call("DELETE", `/v2/volumes/${id}`);
  assert.equal(answer.status, 409);
  assert.equal(answer.body.id, "conflict");
  assert.equal((await c.call("GET", `/v2/volumes/${id}`)).status, 200);
});

test("attached to this machine, the volume is a loop device linked as scsi-0DO_Volume_<name>", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startFace(t, "digitalocean", {
    localAttach: true,
    instances: [{ name: hostname(), zone: "nyc1", maxAttachedVolumes: 16, local: true }],
  });
  const dropletId = Number((await c.metadata("/metadata/v1/id")).body);
  const id = await volume(c, "on-this-machine");
  await act(c, id, { type: "attach", droplet_id: dropletId });
  const link = join(c.cloud.byIdDir, "scsi-0DO_Volume_on-this-machine");
  const device = (await run("readlink", ["-f", link])).stdout.trim();
  assert.match(device, /^\/dev\/loop\d+$/);
  assert.equal(Number((await run("blockdev", ["--getsize64", device])).stdout.trim()), GiB);
  await act(c, id, { type: "detach", droplet_id: dropletId });
  await assert.rejects(run("readlink", ["-e", link]));
});
