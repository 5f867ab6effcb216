import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Contract } from "../../src/cloud-sim/contract.js";
import { DIGITALOCEAN_DESCRIPTION_PATH } from "../../src/cloud-sim/faces/digitalocean/face.js";
import { startReferenceCloud } from "../../src/cloud-sim/index.js";
import { startFace } from "./face-harness.js";
import { uniqueName } from "./harness.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function errorBody(body: Record<string, unknown>, id: string): string {
  assert.deepEqual(Object.keys(body).sort(), ["id", "message", "request_id"]);
  assert.equal(body.id, id);
  assert.equal(typeof body.request_id, "string");
  return body.message as string;
}

test("create answers 201 with the volume: a UUID, GiB, the region and flat tags; get answers the same", async (t) => {
  const c = await startFace(t, "digitalocean");
  const name = uniqueName("pvc").toLowerCase();
  const created = await c.call("POST", "/v2/volumes", {
    name,
    size_gigabytes: 5,
    region: "nyc3",
    tags: ["k8s:owned", "ballast"],
  });
  assert.equal(created.status, 201);
  const volume = created.body.volume;
  assert.match(volume.id, UUID);
  assert.equal(volume.name, name);
  assert.equal(volume.size_gigabytes, 5);
  assert.equal(volume.region.slug, "nyc3");
  assert.deepEqual(volume.tags, ["k8s:owned", "ballast"]);
  assert.deepEqual(volume.droplet_ids, []);
  const got = await c.call("GET", `/v2/volumes/${volume.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body.volume, volume);
});

test("list by name and region finds the one volume, and none in another region", async (t) => {
  const c = await startFace(t, "digitalocean");
  const name = uniqueName("pvc").toLowerCase();
  const created = await c.call("POST", "/v2/volumes", { name, size_gigabytes: 1, region: "nyc1" });
  await c.call("POST", "/v2/volumes", { name: `${name}-other`, size_gigabytes: 1, region: "nyc1" });
  const here = await c.call("GET", `/v2/volumes?name=${name}&region=nyc1`);
  assert.equal(here.status, 200);
  assert.deepEqual(
    here.body.volumes.map((v: { id: string }) => v.id),
    [created.body.volume.id],
  );
  assert.equal(here.body.meta.total, 1);
  const elsewhere = await c.call("GET", `/v2/volumes?name=${name}&region=fra1`);
  assert.deepEqual(elsewhere.body.volumes, []);
  assert.equal(elsewhere.body.meta.total, 0);
});

test("a list longer than per_page answers a page with links to the next and the total", async (t) => {
  const c = await startFace(t, "digitalocean");
  for (const n of [1, 2, 3]) {
    await c.call("POST", "/v2/volumes", { name: `page-${n}`, size_gigabytes: 1, region: "nyc1" });
  }
  const first = await c.call("GET", "/v2/volumes?per_page=2");
  assert.deepEqual(
    first.body.volumes.map((v: { name: string }) => v.name),
    ["page-1", "page-2"],
  );
  assert.equal(first.body.meta.total, 3);
  assert.equal(first.body.links.pages.next, "/v2/volumes?page=2&per_page=2");
  const second = await c.call("GET", "/v2/volumes?per_page=2&page=2");
  assert.deepEqual(
    second.body.volumes.map((v: { name: string }) => v.name),
    ["page-3"],
  );
  assert.equal(second.body.links.pages.next, undefined);
  assert.equal(second.body.links.pages.prev, "/v2/volumes?page=1&per_page=2");
});

test("a second create under a taken name answers 409 conflict and makes nothing", async (t) => {
  const c = await startFace(t, "digitalocean");
  const name = uniqueName("pvc").toLowerCase();
  await c.call("POST", "/v2/volumes", { name, size_gigabytes: 1, region: "nyc1" });
  const again = await c.call("POST", "/v2/volumes", { name, size_gigabytes: 1, region: "nyc1" });
  assert.equal(again.status, 409);
  assert.match(errorBody(again.body, "conflict"), new RegExp(`${name} already exists in region nyc1`));
  const listed = await c.call("GET", `/v2/volumes?name=${name}`);
  assert.equal(listed.body.meta.total, 1);
});

test("a name outside DigitalOcean's rules answers 422 naming the name", async (t) => {
  const c = await startFace(t, "digitalocean");
  for (const name of ["Upper", "1starts-with-digit", "under_score", `a${"b".repeat(64)}`]) {
    const answer = await c.call("POST", "/v2/volumes", { name, size_gigabytes: 1, region: "nyc1" });
    assert.equal(answer.status, 422, name);
    assert.match(errorBody(answer.body, "unprocessable_entity"), /^name: /);
  }
});

test("sizes are whole GiB from 1 to 16384: 0 and 16385 answer 422, 1.5 answers 400", async (t) => {
  const c = await startFace(t, "digitalocean");
  for (const size of [0, 16_385]) {
    const answer = await c.call("POST", "/v2/volumes", {
      name: `s${size}`,
      size_gigabytes: size,
      region: "nyc1",
    });
    assert.equal(answer.status, 422);
    assert.equal(
      errorBody(answer.body, "unprocessable_entity"),
      `size_gigabytes: ${size} is outside 1..16384`,
    );
  }
  const fractional = await c.call("POST", "/v2/volumes", {
    name: "frac",
    size_gigabytes: 1.5,
    region: "nyc1",
  });
  assert.equal(fractional.status, 400);
  assert.match(errorBody(fractional.body, "bad_request"), /\/size_gigabytes: must be integer/);
});

test("a request the description rejects answers 400 bad_request naming the field", async (t) => {
  const c = await startFace(t, "digitalocean");
  const missing = await c.call("POST", "/v2/volumes", { name: "no-region", size_gigabytes: 1 });
  assert.equal(missing.status, 400);
  assert.match(errorBody(missing.body, "bad_request"), /\/region: must have required property 'region'/);
  const unknownRegion = await c.call("POST", "/v2/volumes", {
    name: "x",
    size_gigabytes: 1,
    region: "mars1",
  });
  assert.equal(unknownRegion.status, 400);
  assert.match(
    errorBody(unknownRegion.body, "bad_request"),
    /\/region: must be equal to one of the allowed values/,
  );
  const notJson = await c.call("POST", "/v2/volumes", "{not json");
  assert.equal(notJson.status, 400);
  assert.match(errorBody(notJson.body, "bad_request"), /^body: not valid JSON/);
});

test("a region the description knows but this cloud does not serve answers 422", async (t) => {
  const c = await startFace(t, "digitalocean");
  const answer = await c.call("POST", "/v2/volumes", { name: "far", size_gigabytes: 1, region: "syd1" });
  assert.equal(answer.status, 422);
  assert.match(
    errorBody(answer.body, "unprocessable_entity"),
    /"syd1" is not a zone \(zones: nyc1, nyc3, fra1\)/,
  );
});

test("delete answers 204 once the volume is gone; then get answers 404 not_found", async (t) => {
  const c = await startFace(t, "digitalocean");
  const created = await c.call("POST", "/v2/volumes", { name: "doomed", size_gigabytes: 1, region: "nyc1" });
  const id = created.body.volume.id;
  const deleted = await c.call("DELETE", `/v2/volumes/${id}`);
  assert.equal(deleted.status, 204);
  assert.equal(deleted.body, undefined);
  const got = await c.call("GET", `/v2/volumes/${id}`);
  assert.equal(got.status, 404);
  errorBody(got.body, "not_found");
  const listed = await c.call("GET", "/v2/volumes?name=doomed");
  assert.deepEqual(listed.body.volumes, []);
});

test("every answer carries DigitalOcean's ratelimit headers, counting down", async (t) => {
  const c = await startFace(t, "digitalocean");
  const before = Math.floor(Date.now() / 1000);
  const first = await c.call("GET", "/v2/volumes");
  const second = await c.call("GET", "/v2/volumes/00000000-0000-4000-8000-000000000000");
  assert.equal(second.status, 404);
  assert.equal(first.headers.get("ratelimit-limit"), "5000");
  assert.equal(first.headers.get("ratelimit-remaining"), "4999");
  assert.equal(second.headers.get("ratelimit-remaining"), "4998");
  const reset = Number(first.headers.get("ratelimit-reset"));
  assert.ok(
    reset >= before + 3600 && reset <= before + 3601,
    `reset ${reset} is an hour after the first request`,
  );
});

test("250 requests in a minute spend the budget: the next answers 429 too_many_requests", async (t) => {
  const c = await startFace(t, "digitalocean");
  for (let i = 0; i < 250; i++) assert.equal((await c.call("GET", "/v2/volumes?per_page=1")).status, 200);
  const refused = await c.call("GET", "/v2/volumes");
  assert.equal(refused.status, 429);
  assert.equal(errorBody(refused.body, "too_many_requests"), "API rate limit exceeded");
  assert.equal(refused.headers.get("ratelimit-remaining"), "4750");
});

test("a configured budget of 2 a minute refuses the third request, with remaining 0", async (t) => {
  const c = await startFace(t, "digitalocean", { apiRateLimit: { requests: 2, perSeconds: 60 } });
  await c.call("GET", "/v2/volumes");
  await c.call("GET", "/v2/volumes");
  const refused = await c.call("GET", "/v2/volumes");
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("ratelimit-limit"), "2");
  assert.equal(refused.headers.get("ratelimit-remaining"), "0");
  assert.ok(Number(refused.headers.get("ratelimit-reset")) > Date.now() / 1000);
});

test("a missing or wrong token answers 401 unauthorized in DigitalOcean's body", async (t) => {
  const c = await startFace(t, "digitalocean");
  const wrong = await c.call("GET", "/v2/volumes", undefined, "not-the-token");
  assert.equal(wrong.status, 401);
  assert.equal(errorBody(wrong.body, "unauthorized"), "Unable to authenticate you");
  const response = await fetch(`${c.cloud.apiUrl}/v2/volumes`);
  assert.equal(response.status, 401);
  errorBody((await response.json()) as Record<string, unknown>, "unauthorized");
});

test("a path outside the description answers 404 not_found in DigitalOcean's body", async (t) => {
  const c = await startFace(t, "digitalocean");
  const answer = await c.call("GET", "/v2/images");
  assert.equal(answer.status, 404);
  assert.equal(errorBody(answer.body, "not_found"), "no API path /v2/images");
});

test("injected faults answer in DigitalOcean's shape: 429 with remaining 0, 503 service_unavailable", async (t) => {
  const c = await startFace(t, "digitalocean");
  c.cloud.setFaults({
    rules: [
      { operation: "volumes_list", kind: "rateLimit", count: 1, retryAfterSeconds: 7 },
      { operation: "volumes_get", kind: "error", status: 503, count: 1 },
    ],
  });
  const limited = await c.call("GET", "/v2/volumes");
  assert.equal(limited.status, 429);
  errorBody(limited.body, "too_many_requests");
  assert.equal(limited.headers.get("ratelimit-remaining"), "0");
  const reset = Number(limited.headers.get("ratelimit-reset"));
  assert.ok(Math.abs(reset - (Date.now() / 1000 + 7)) < 2, `reset ${reset} is 7 s away`);
  const unavailable = await c.call("GET", "/v2/volumes/00000000-0000-4000-8000-000000000000");
  assert.equal(unavailable.status, 503);
  errorBody(unavailable.body, "service_unavailable");
  assert.equal((await c.call("GET", "/v2/volumes")).status, 200);
});

test("the request log counts DigitalOcean operations by their operationId", async (t) => {
  const c = await startFace(t, "digitalocean");
  await c.call("POST", "/v2/volumes", { name: "logged", size_gigabytes: 1, region: "nyc1" });
  await c.call("GET", "/v2/volumes?name=logged");
  const response = await fetch(`${c.cloud.url}/admin/requests`, {
    headers: { Authorization: `Bearer ${c.cloud.token}` },
  });
  const log = (await response.json()) as {
    counters: { operationId: string; status: number; count: number }[];
  };
  assert.deepEqual(log.counters.map((x) => `${x.operationId} ${x.status} ${x.count}`).sort(), [
    "volumes_create 201 1",
    "volumes_list 200 1",
  ]);
});

test("the metadata service answers the local droplet's id and region without a token", async (t) => {
  const c = await startFace(t, "digitalocean");
  const id = await c.metadata("/metadata/v1/id");
  assert.equal(id.status, 200);
  assert.match(id.body, /^[1-9][0-9]*$/);
  assert.equal((await c.metadata("/metadata/v1/region")).body, "nyc1");
  const droplet = await c.call("GET", `/v2/droplets/${id.body}`);
  assert.equal(droplet.status, 200);
  assert.equal(droplet.body.droplet.id, Number(id.body));
  assert.equal(droplet.body.droplet.region.slug, "nyc1");
  assert.equal((await c.metadata("/metadata/v1/nothing")).status, 404);
});

test("a data dir served as the ballast API refuses to start as DigitalOcean, naming the ids", async (t) => {
  const c = await startFace(t, "digitalocean");
  await c.cloud.close();
  const ballast = await startReferenceCloud({ dataDir: `${c.dir}/ballast`, localAttach: false });
  await ballast.close();
  await assert.rejects(
    startReferenceCloud({ api: "digitalocean", dataDir: `${c.dir}/ballast`, localAttach: false }),
    /data dir .*\/ballast holds ids that the digitalocean API cannot serve \(instance i-[0-9a-f]{16}/,
  );
});

test("a create asking DigitalOcean to pre-format answers 422 naming the field", async (t) => {
  const c = await startFace(t, "digitalocean");
  const answer = await c.call("POST", "/v2/volumes", {
    name: "formatted",
    size_gigabytes: 1,
    region: "nyc1",
    filesystem_type: "ext4",
  });
  assert.equal(answer.status, 422);
  assert.equal(
    errorBody(answer.body, "unprocessable_entity"),
    "filesystem_type: this reference cloud never pre-formats a volume; the node formats it",
  );
});

test("a restart on the same data dir keeps the volumes, their UUIDs and the droplet id", async (t) => {
  const c = await startFace(t, "digitalocean");
  const created = await c.call("POST", "/v2/volumes", { name: "durable", size_gigabytes: 1, region: "nyc1" });
  const dropletId = (await c.metadata("/metadata/v1/id")).body;
  await c.cloud.close();
  const again = await startReferenceCloud({
    api: "digitalocean",
    dataDir: `${c.dir}/data`,
    byIdDir: `${c.dir}/by-id`,
    localAttach: false,
  });
  try {
    const headers = { Authorization: `Bearer ${again.token}` };
    const got = await fetch(`${again.apiUrl}/v2/volumes/${created.body.volume.id}`, { headers });
    assert.equal(got.status, 200);
    assert.equal(((await got.json()) as { volume: { name: string } }).volume.name, "durable");
    assert.equal(again.localInstanceId, dropletId);
  } finally {
    await again.close();
  }
});

test("every operation of the DigitalOcean description is routed to a handler", async (t) => {
  const c = await startFace(t, "digitalocean");
  const description = Contract.load(fileURLToPath(DIGITALOCEAN_DESCRIPTION_PATH));
  for (const operation of description.operations) {
    const path = operation.pathTemplate
      .replace("{volume_id}", "00000000-0000-4000-8000-000000000000")
      .replace("{action_id}", "1")
      .replace("{snapshot_id}", "none")
      .replace("{droplet_id}", "1");
    const answer = await c.call(
      operation.method,
      path,
      operation.validateBody === undefined ? undefined : {},
    );
    assert.ok([200, 400, 404].includes(answer.status), `${operation.operationId}: ${answer.status}`);
  }
});
