import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import { contractSuite } from "./contract-suite.js";
import { GiB, type Problem, type TestCloud } from "./harness.js";

type Schemas = components["schemas"];

describe("reference cloud contract: catalog, instances, operations and the HTTP front", () => {
  let c: TestCloud;
  const { instanceId, expectProblem } = contractSuite((cloud) => {
    c = cloud;
  });

  test("listZones returns the three default zones", async () => {
    const answer = await c.call<Schemas["ZoneList"]>("GET", "/v1/zones");
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.items.map((z) => z.name),
      ["ref-1a", "ref-1b", "ref-1c"],
    );
  });

  test("listVolumeTypes returns standard with fixed performance and multi-attach performance", async () => {
    const answer = await c.call<Schemas["VolumeTypeList"]>("GET", "/v1/volume-types");
    assert.deepEqual(
      answer.body.items.map((t) => t.name),
      ["standard", "balanced", "performance"],
    );
    const [standard, balanced, performance] = answer.body.items;
    assert.equal(standard?.iops, undefined);
    assert.deepEqual(balanced?.iops, { min: 3000, max: 16000, default: 3000 });
    assert.equal(performance?.multiAttach, true);
    assert.equal(balanced?.multiAttach, false);
  });

  test("getCapacity of an unknown zone is not_found", async () => {
    const problem = await expectProblem("GET", "/v1/capacity?zone=ref-9z", undefined, 404, "not_found");
    assert.match(problem.detail ?? "", /ref-9z/);
  });

  test("getCapacity of a zone and type reports the largest volume of that type", async () => {
    const answer = await c.call<Schemas["Capacity"]>("GET", "/v1/capacity?zone=ref-1c&type=standard");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.zone, "ref-1c");
    assert.equal(answer.body.type, "standard");
    assert.equal(answer.body.maximumVolumeSizeBytes, 16 * 1024 * GiB);
    assert.equal(answer.body.availableBytes, 100 * 1024 * GiB);
  });

  test("listInstances finds an instance by name", async () => {
    const answer = await c.call<Schemas["InstanceList"]>("GET", "/v1/instances?name=node-b");
    assert.equal(answer.body.items.length, 1);
    assert.deepEqual(
      { ...answer.body.items[0], id: undefined },
      { id: undefined, name: "node-b", zone: "ref-1b", maxAttachedVolumes: 4, attachedVolumeIds: [] },
    );
  });

  test("getInstance of an unknown id is not_found", async () => {
    await expectProblem("GET", "/v1/instances/i-00000000000000ff", undefined, 404, "not_found");
  });

  test("getOperation of an unknown id is not_found", async () => {
    await expectProblem("GET", "/v1/operations/op-00000000000000ff", undefined, 404, "not_found");
  });

  test("a request without a token is unauthorized with WWW-Authenticate", async () => {
    const response = await fetch(`${c.cloud.url}/v1/zones`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), "Bearer");
    assert.equal(((await response.json()) as Problem).code, "unauthorized");
  });

  test("a request with an unknown token is forbidden", async () => {
    const answer = await c.call<Problem>("GET", "/v1/zones", undefined, {
      Authorization: "Bearer wrong-token",
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, "forbidden");
  });

  test("an unsupported method on a known path is method_not_allowed", async () => {
    await expectProblem("PUT", "/v1/volumes", {}, 405, "method_not_allowed");
  });

  test("an unknown path is not_found", async () => {
    await expectProblem("GET", "/v1/disks", undefined, 404, "not_found");
  });

  test("getHealth reports the local instance and why local attach is off", async () => {
    const answer = await c.call<Schemas["Health"]>("GET", "/admin/health");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.localAttach.available, false);
    assert.equal(answer.body.localAttach.instanceId, instanceId("local-host"));
    assert.match(answer.body.localAttach.reason ?? "", /turned off/);
  });

  test("getRequestLog counts requests per operation and status, and resetRequestLog clears it", async () => {
    await c.call("DELETE", "/admin/requests");
    await c.call("GET", "/v1/zones");
    await c.call("GET", "/v1/volumes/vol-00000000000000ff");
    const log = await c.call<Schemas["RequestLog"]>("GET", "/admin/requests");
    assert.deepEqual(log.body.counters, [
      { operationId: "listZones", status: 200, count: 1 },
      { operationId: "getVolume", status: 404, count: 1 },
    ]);
    assert.deepEqual(
      log.body.entries.map((e) => [e.method, e.path, e.status]),
      [
        ["GET", "/v1/zones", 200],
        ["GET", "/v1/volumes/vol-00000000000000ff", 404],
      ],
    );
    assert.equal((await c.call("DELETE", "/admin/requests")).status, 204);
    const cleared = await c.call<Schemas["RequestLog"]>("GET", "/admin/requests");
    assert.deepEqual(cleared.body, {
      counters: [],
      entries: [],
      stateWrites: { count: 0, bytes: 0, durationMs: 0 },
    });
  });

  test("getRequestLog counts the state writes: none for a read, at least one before a mutation is answered", async () => {
    await c.call("DELETE", "/admin/requests");
    await c.call("GET", "/v1/zones");
    const afterRead = await c.call<Schemas["RequestLog"]>("GET", "/admin/requests");
    assert.deepEqual(afterRead.body.stateWrites, { count: 0, bytes: 0, durationMs: 0 });
    const created = await c.call("POST", "/v1/volumes", {
      name: "state-writes-counted",
      zone: "ref-1a",
      sizeGiB: 1,
    });
    assert.equal(created.status, 202);
    const { stateWrites } = (await c.call<Schemas["RequestLog"]>("GET", "/admin/requests")).body;
    assert.ok(stateWrites.count >= 1, `count ${stateWrites.count}`);
    assert.ok(stateWrites.bytes > 0 && stateWrites.durationMs > 0, JSON.stringify(stateWrites));
  });
});
