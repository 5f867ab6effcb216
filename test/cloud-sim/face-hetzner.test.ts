import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Contract } from "../../src/cloud-sim/contract.js";
import { HETZNER_DESCRIPTION_PATH } from "../../src/cloud-sim/faces/hetzner/face.js";
import { type FaceCloud, type Json, startFace } from "./face-harness.js";

function errorOf(body: Record<string, Json>, code: string): string {
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(body.error.code, code);
  assert.ok("details" in body.error);
  return body.error.message;
}

/** Polls an action at /actions/{id} until it is no longer running. */
async function settled(c: FaceCloud, actionId: number): Promise<Record<string, Json>> {
  for (;;) {
    const polled = await c.call("GET", `/actions/${actionId}`);
    assert.equal(polled.status, 200);
    if (polled.body.action.status !== "running") return polled.body.action;
    await sleep(5);
  }
}

async function volume(c: FaceCloud, name: string, size = 10, labels: Record<string, string> = {}) {
  const created = await c.call("POST", "/volumes", { name, size, location: "fsn1", labels });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await settled(c, created.body.action.id);
  return created.body.volume as Record<string, Json>;
}

test("create answers 201 with a creating volume and its create_volume action, which succeeds", async (t) => {
  const c = await startFace(t, "hetzner");
  const created = await c.call("POST", "/volumes", {
    name: "data-1",
    size: 12,
    location: "nbg1",
    labels: { "ballast.dev/owner": "driver" },
  });
  assert.equal(created.status, 201);
  const { volume, action, next_actions } = created.body;
  assert.ok(Number.isInteger(volume.id) && volume.id > 0);
  assert.deepEqual(
    [volume.name, volume.size, volume.status, volume.server, volume.location.name, volume.format],
    ["data-1", 12, "creating", null, "nbg1", null],
  );
  assert.deepEqual(volume.labels, { "ballast.dev/owner": "driver" });
  assert.equal(volume.linux_device, join(c.cloud.byIdDir, `scsi-0HC_Volume_${volume.id}`));
  assert.deepEqual(
    [action.command, action.status, action.resources],
    ["create_volume", "running", [{ id: volume.id, type: "volume" }]],
  );
  assert.deepEqual(next_actions, []);
  const done = await settled(c, action.id);
  assert.deepEqual([done.status, done.progress, done.error], ["success", 100, null]);
  assert.equal((await c.call("GET", `/volumes/${volume.id}`)).body.volume.status, "available");
});

test("list by name finds the one volume; a label selector filters by labels", async (t) => {
  const c = await startFace(t, "hetzner");
  const a = await volume(c, "vol-a", 10, { app: "web", tier: "gold" });
  const b = await volume(c, "vol-b", 10, { app: "db" });
  const byName = await c.call("GET", "/volumes?name=vol-a");
  assert.deepEqual(
    byName.body.volumes.map((v: { id: number }) => v.id),
    [a.id],
  );
  const cases: [string, number[]][] = [
    ["app=web", [a.id]],
    ["app!=web", [b.id]],
    ["tier", [a.id]],
    ["!tier", [b.id]],
    ["app in (web,db)", [a.id, b.id]],
    ["app notin (web),app", [b.id]],
  ];
  for (const [selector, ids] of cases) {
    const answer = await c.call("GET", `/volumes?label_selector=${encodeURIComponent(selector)}`);
    assert.deepEqual(
      answer.body.volumes.map((v: { id: number }) => v.id),
      ids,
      selector,
    );
  }
});

test("a list longer than per_page answers Hetzner's pagination", async (t) => {
  const c = await startFace(t, "hetzner");
  for (const n of [1, 2, 3]) await volume(c, `page-${n}`);
  const first = await c.call("GET", "/volumes?per_page=2");
  assert.deepEqual(first.body.meta.pagination, {
    page: 1,
    per_page: 2,
    previous_page: null,
    next_page: 2,
    last_page: 2,
    total_entries: 3,
  });
  const second = await c.call("GET", "/volumes?per_page=2&page=2");
  assert.deepEqual(
    second.body.volumes.map((v: { name: string }) => v.name),
    ["page-3"],
  );
  assert.equal(second.body.meta.pagination.next_page, null);
});

test("a taken name answers 409 uniqueness_error", async (t) => {
  const c = await startFace(t, "hetzner");
  await volume(c, "taken");
  const again = await c.call("POST", "/volumes", { name: "taken", size: 10, location: "fsn1" });
  assert.equal(again.status, 409);
  assert.equal(
    errorOf(again.body, "uniqueness_error"),
    "name: a volume named taken already exists in the project",
  );
});

test("sizes are 10 to 10240 GB: 9 and 10241 answer 400 invalid_input", async (t) => {
  const c = await startFace(t, "hetzner");
  for (const size of [9, 10_241]) {
    const answer = await c.call("POST", "/volumes", { name: `s${size}`, size, location: "fsn1" });
    assert.equal(answer.status, 400);
    assert.equal(errorOf(answer.body, "invalid_input"), `size: ${size} GB is outside 10..10240`);
  }
});

test("a body the description rejects answers invalid_input with the fields; bad JSON answers json_error", async (t) => {
  const c = await startFace(t, "hetzner");
  const missing = await c.call("POST", "/volumes", { name: "no-size", location: "fsn1" });
  assert.equal(missing.status, 400);
  errorOf(missing.body, "invalid_input");
  assert.deepEqual(missing.body.error.details, {
    fields: [{ name: "size", messages: ["must have required property 'size'"] }],
  });
  const notJson = await c.call("POST", "/volumes", "{nope");
  assert.equal(notJson.status, 400);
  assert.match(errorOf(notJson.body, "json_error"), /^body: not valid JSON/);
});

test("a create without a location, or with a bad name or label key, answers 400 invalid_input", async (t) => {
  const c = await startFace(t, "hetzner");
  const bodies = [
    [{ name: "x1", size: 10 }, /^location: required/],
    [{ name: "-bad", size: 10, location: "fsn1" }, /^name: "-bad" must be/],
    [
      { name: "x2", size: 10, location: "fsn1", labels: { "bad key": "v" } },
      /^labels: "bad key" is not a valid label key/,
    ],
  ] as const;
  for (const [body, message] of bodies) {
    const answer = await c.call("POST", "/volumes", body);
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer.body, "invalid_input"), message);
  }
});

test("delete answers 204 once the volume is gone; then get answers 404 not_found", async (t) => {
  const c = await startFace(t, "hetzner");
  const v = await volume(c, "doomed");
  assert.equal((await c.call("DELETE", `/volumes/${v.id}`)).status, 204);
  const got = await c.call("GET", `/volumes/${v.id}`);
  assert.equal(got.status, 404);
  errorOf(got.body, "not_found");
});

test("a volume still being created is locked: delete answers 423 locked", async (t) => {
  const c = await startFace(t, "hetzner", { operationLatencyMs: 300 });
  const created = await c.call("POST", "/volumes", { name: "busy", size: 10, location: "fsn1" });
  const answer = await c.call("DELETE", `/volumes/${created.body.volume.id}`);
  assert.equal(answer.status, 423);
  errorOf(answer.body, "locked");
});

test("every answer carries RateLimit headers; an empty bucket answers 429 rate_limit_exceeded", async (t) => {
  const c = await startFace(t, "hetzner", { apiRateLimit: { requests: 2, perSeconds: 3600 } });
  const first = await c.call("GET", "/volumes");
  assert.equal(first.headers.get("ratelimit-limit"), "2");
  assert.equal(first.headers.get("ratelimit-remaining"), "1");
  await c.call("GET", "/volumes");
  const refused = await c.call("GET", "/volumes");
  assert.equal(refused.status, 429);
  errorOf(refused.body, "rate_limit_exceeded");
  assert.equal(refused.headers.get("ratelimit-remaining"), "0");
  const reset = Number(refused.headers.get("ratelimit-reset"));
  assert.ok(reset > Date.now() / 1000 + 3000, `the bucket is full again in about an hour, not at ${reset}`);
});

test("the real budget is 3600 requests", async (t) => {
  const c = await startFace(t, "hetzner");
  const answer = await c.call("GET", "/volumes");
  assert.equal(answer.headers.get("ratelimit-limit"), "3600");
  assert.equal(answer.headers.get("ratelimit-remaining"), "3599");
});

test("a wrong token answers 401 unauthorized in Hetzner's body", async (t) => {
  const c = await startFace(t, "hetzner");
  const answer = await c.call("GET", "/volumes", undefined, "wrong");
  assert.equal(answer.status, 401);
  errorOf(answer.body, "unauthorized");
});

test("Hetzner has no volume snapshots: their paths answer 404 not_found", async (t) => {
  const c = await startFace(t, "hetzner");
  const v = await volume(c, "no-snapshots");
  const answer = await c.call("POST", `/volumes/${v.id}/actions/create_snapshot`, {});
  assert.equal(answer.status, 404);
  errorOf(answer.body, "not_found");
});

test("the metadata service answers the local server's id and availability zone", async (t) => {
  const c = await startFace(t, "hetzner");
  const id = await c.metadata("/hetzner/v1/metadata/instance-id");
  assert.match(id.body, /^[1-9][0-9]*$/);
  assert.equal((await c.metadata("/hetzner/v1/metadata/availability-zone")).body, "fsn1-dc14");
  const server = await c.call("GET", `/servers/${id.body}`);
  assert.equal(server.status, 200);
  assert.deepEqual([server.body.server.id, server.body.server.location.name], [Number(id.body), "fsn1"]);
});

test("a create asking Hetzner to automount, format or attach answers invalid_input naming the field", async (t) => {
  const c = await startFace(t, "hetzner");
  for (const extra of [{ automount: false }, { format: "ext4" }, { server: 1 }]) {
    const answer = await c.call("POST", "/volumes", { name: "eager", size: 10, location: "fsn1", ...extra });
    assert.equal(answer.status, 400);
    const field = Object.keys(extra)[0];
    assert.equal(
      errorOf(answer.body, "invalid_input"),
      `${field}: this reference cloud never attaches, mounts or formats on create`,
    );
  }
});

test("every operation of the Hetzner description is routed to a handler", async (t) => {
  const c = await startFace(t, "hetzner");
  const description = Contract.load(HETZNER_DESCRIPTION_PATH);
  for (const operation of description.operations) {
    const path = operation.pathTemplate.replace("{id}", "1");
    const answer = await c.call(
      operation.method,
      path,
      operation.validateBody === undefined ? undefined : {},
    );
    assert.ok([200, 400, 404].includes(answer.status), `${operation.operationId}: ${answer.status}`);
  }
});

test("the bucket refills over time: a refused request goes through once a token is back", async (t) => {
  const c = await startFace(t, "hetzner", { apiRateLimit: { requests: 2, perSeconds: 1 } });
  await c.call("GET", "/volumes");
  await c.call("GET", "/volumes");
  assert.equal((await c.call("GET", "/volumes")).status, 429);
  await sleep(600);
  assert.equal((await c.call("GET", "/volumes")).status, 200);
});
