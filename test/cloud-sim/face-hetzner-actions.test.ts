import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { InstanceConfig } from "../../src/cloud-sim/index.js";
import { requireRoot } from "../helpers/root.js";
import { type FaceCloud, GiB, type Json, startFace } from "./face-harness.js";

const run = promisify(execFile);

const SERVERS: InstanceConfig[] = [
  { id: "1001", name: "server-a", zone: "fsn1", maxAttachedVolumes: 64 },
  { id: "1002", name: "server-b", zone: "fsn1", maxAttachedVolumes: 64 },
  { id: "2001", name: "server-hel", zone: "hel1", maxAttachedVolumes: 64 },
];

async function settled(c: FaceCloud, actionId: number): Promise<Record<string, Json>> {
  for (;;) {
    const polled = await c.call("GET", `/actions/${actionId}`);
    assert.equal(polled.status, 200);
    if (polled.body.action.status !== "running") return polled.body.action;
    await sleep(5);
  }
}

async function volume(c: FaceCloud, name: string, location = "fsn1"): Promise<number> {
  const created = await c.call("POST", "/volumes", { name, size: 10, location });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await settled(c, created.body.action.id);
  return created.body.volume.id;
}

/** Starts a volume action, expects 201, and polls it at /actions/{id} until it is done. */
async function act(c: FaceCloud, volumeId: number, action: string, body?: unknown) {
  const started = await c.call("POST", `/volumes/${volumeId}/actions/${action}`, body);
  assert.equal(started.status, 201, JSON.stringify(started.body));
  return settled(c, started.body.action.id);
}

test("attach answers a running action at /actions/{id} that succeeds; then volume and server show each other", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  const id = await volume(c, "to-attach");
  const started = await c.call("POST", `/volumes/${id}/actions/attach`, { server: 1001 });
  assert.equal(started.status, 201);
  assert.deepEqual([started.body.action.command, started.body.action.status], ["attach_volume", "running"]);
  assert.deepEqual(started.body.action.resources, [
    { id, type: "volume" },
    { id: 1001, type: "server" },
  ]);
  assert.equal((await settled(c, started.body.action.id)).status, "success");
  assert.equal((await c.call("GET", `/volumes/${id}`)).body.volume.server, 1001);
  assert.deepEqual((await c.call("GET", "/servers/1001")).body.server.volumes, [id]);
});

test("attach to a second server answers 409 volume_already_attached", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  const id = await volume(c, "single");
  await act(c, id, "attach", { server: 1001 });
  const answer = await c.call("POST", `/volumes/${id}/actions/attach`, { server: 1002 });
  assert.equal(answer.status, 409);
  assert.equal(answer.body.error.code, "volume_already_attached");
  assert.equal(answer.body.error.message, `volume ${id} is already attached to server 1001; detach it first`);
});

test("a volume with a running action is locked: detach during attach answers 423 locked", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS, operationLatencyMs: { attachVolume: 300 } });
  const id = await volume(c, "busy");
  assert.equal((await c.call("POST", `/volumes/${id}/actions/attach`, { server: 1001 })).status, 201);
  const answer = await c.call("POST", `/volumes/${id}/actions/detach`);
  assert.equal(answer.status, 423);
  assert.equal(answer.body.error.code, "locked");
});

test("detach succeeds and clears the server; detaching a detached volume answers invalid_input", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  const id = await volume(c, "to-detach");
  await act(c, id, "attach", { server: 1001 });
  const detached = await act(c, id, "detach");
  assert.deepEqual([detached.command, detached.status], ["detach_volume", "success"]);
  assert.equal((await c.call("GET", `/volumes/${id}`)).body.volume.server, null);
  const again = await c.call("POST", `/volumes/${id}/actions/detach`);
  assert.equal(again.status, 400);
  assert.deepEqual(
    [again.body.error.code, again.body.error.message],
    ["invalid_input", `volume ${id} is not attached to a server`],
  );
});

test("attach to a server in another location answers 400 invalid_input", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  const id = await volume(c, "elsewhere");
  const answer = await c.call("POST", `/volumes/${id}/actions/attach`, { server: 2001 });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error.code, "invalid_input");
});

test("attach to an unknown server answers 404 not_found", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  const id = await volume(c, "lost");
  const answer = await c.call("POST", `/volumes/${id}/actions/attach`, { server: 4242 });
  assert.equal(answer.status, 404);
  assert.deepEqual(
    [answer.body.error.code, answer.body.error.message],
    ["not_found", "server with ID 4242 not found"],
  );
});

test("a server takes 16 volumes; the 17th attach answers 403 resource_limit_exceeded", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  for (let n = 1; n <= 16; n++) await act(c, await volume(c, `v${n}`), "attach", { server: 1001 });
  const id = await volume(c, "v17");
  const answer = await c.call("POST", `/volumes/${id}/actions/attach`, { server: 1001 });
  assert.equal(answer.status, 403);
  assert.equal(answer.body.error.code, "resource_limit_exceeded");
  assert.equal(answer.body.error.message, "server 1001 already has the maximum of 16 volumes attached");
});

test("resize grows the volume; a smaller or fractional size answers invalid_input", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  const id = await volume(c, "growing");
  const resized = await act(c, id, "resize", { size: 20 });
  assert.deepEqual([resized.command, resized.status], ["resize_volume", "success"]);
  assert.equal((await c.call("GET", `/volumes/${id}`)).body.volume.size, 20);
  const shrink = await c.call("POST", `/volumes/${id}/actions/resize`, { size: 15 });
  assert.equal(shrink.status, 400);
  assert.equal(shrink.body.error.message, "size: 15 GB is smaller than the current 20 GB; volumes only grow");
  const fraction = await c.call("POST", `/volumes/${id}/actions/resize`, { size: 25.5 });
  assert.equal(fraction.status, 400);
  assert.equal(fraction.body.error.message, "size: 25.5 is not a whole number of GB");
});

test("an unknown action answers 404 not_found", async (t) => {
  const c = await startFace(t, "hetzner");
  const answer = await c.call("GET", "/actions/12345");
  assert.equal(answer.status, 404);
  assert.deepEqual(
    [answer.body.error.code, answer.body.error.message],
    ["not_found", "action with ID 12345 not found"],
  );
});

test("delete of an attached volume answers 409 conflict and keeps it", async (t) => {
  const c = await startFace(t, "hetzner", { instances: SERVERS });
  const id = await volume(c, "attached");
  await act(c, id, "attach", { server: 1001 });
  const answer = await c.call("DELETE", `/volumes/${id}`);
  assert.equal(answer.status, 409);
  assert.equal(answer.body.error.code, "conflict");
  assert.equal((await c.call("GET", `/volumes/${id}`)).status, 200);
});

test("attached to this machine, the volume is a loop device linked as scsi-0HC_Volume_<id>", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startFace(t, "hetzner", {
    localAttach: true,
    instances: [{ name: hostname(), zone: "fsn1", maxAttachedVolumes: 16, local: true }],
  });
  const serverId = Number((await c.metadata("/hetzner/v1/metadata/instance-id")).body);
  const id = await volume(c, "on-this-machine");
  await act(c, id, "attach", { server: serverId });
  const link = join(c.cloud.byIdDir, `scsi-0HC_Volume_${id}`);
  assert.equal((await c.call("GET", `/volumes/${id}`)).body.volume.linux_device, link);
  const device = (await run("readlink", ["-f", link])).stdout.trim();
  assert.match(device, /^\/dev\/loop\d+$/);
  assert.equal(Number((await run("blockdev", ["--getsize64", device])).stdout.trim()), 10 * GiB);
  await act(c, id, "detach");
  await assert.rejects(run("readlink", ["-e", link]));
});
