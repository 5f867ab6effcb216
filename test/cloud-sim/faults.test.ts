import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import {
  type Operation,
  type Problem,
  startTestCloud,
  suiteCleanup,
  type TestCloud,
  uniqueName,
} from "./harness.js";

type Schemas = components["schemas"];

describe("reference cloud faults", () => {
  let c: TestCloud;
  const cleanup = suiteCleanup();
  after(cleanup.run);
  before(async () => {
    c = await startTestCloud(cleanup, { localAttach: false });
  });
  beforeEach(async () => {
    await c.call("PUT", "/admin/faults", { rules: [] });
    await c.call("DELETE", "/admin/requests");
  });

  const setFaults = async (config: Schemas["FaultConfig"]) => {
    const answer = await c.call<Schemas["FaultConfig"]>("PUT", "/admin/faults", config);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  };
  const newVolume = () => ({ name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });

  test("an error rule with a count answers 503 with Retry-After exactly that many times", async () => {
    await setFaults({
      rules: [{ operation: "createVolume", kind: "error", status: 503, count: 2, retryAfterSeconds: 3 }],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await c.call<Problem>("POST", "/v1/volumes", newVolume());
      statuses.push(answer.status);
      if (answer.status === 503) {
        assert.equal(answer.body.code, "unavailable");
        assert.equal(answer.headers.get("retry-after"), "3");
        assert.equal(answer.body.retryAfterSeconds, 3);
      }
    }
    assert.deepEqual(statuses, [503, 503, 202]);
  });

  test("an error rule answers 500 internal and touches no other operation", async () => {
    await setFaults({ rules: [{ operation: "getVolume", kind: "error", status: 500 }] });
    const answer = await c.call<Problem>("GET", "/v1/volumes/vol-00000000000000aa");
    assert.equal(answer.status, 500);
    assert.equal(answer.body.code, "internal");
    assert.equal((await c.call("GET", "/v1/zones")).status, 200);
  });

  test("an error rule with status 502 answers 502 as a gateway would", async () => {
    await setFaults({ rules: [{ operation: "listZones", kind: "error", status: 502, count: 1 }] });
    assert.equal((await c.call("GET", "/v1/zones")).status, 502);
    assert.equal((await c.call("GET", "/v1/zones")).status, 200);
  });

  test("a rateLimit burst answers 429 rate_limited with Retry-After, then recovers", async () => {
    await setFaults({ rules: [{ operation: "*", kind: "rateLimit", count: 3, retryAfterSeconds: 2 }] });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await c.call<Problem>("GET", "/v1/zones"));
    assert.deepEqual(
      answers.map((a) => a.status),
      [429, 429, 429, 200],
    );
    assert.equal(answers[0]?.headers.get("retry-after"), "2");
    assert.equal(answers[0]?.body.code, "rate_limited");
    assert.equal(answers[0]?.body.retryAfterSeconds, 2);
  });

  test("getFaults shows the remaining count of a counted rule", async () => {
    await setFaults({ seed: 7, rules: [{ operation: "listZones", kind: "rateLimit", count: 3 }] });
    await c.call("GET", "/v1/zones");
    const answer = await c.call<Schemas["FaultConfig"]>("GET", "/admin/faults");
    assert.deepEqual(answer.body, {
      seed: 7,
      rules: [{ operation: "listZones", kind: "rateLimit", count: 2 }],
    });
  });

  test("a latency rule delays the answer by at least latencyMs and is logged", async () => {
    await setFaults({ rules: [{ operation: "listZones", kind: "latency", latencyMs: 150, count: 1 }] });
    assert.equal((await c.call("GET", "/v1/zones")).status, 200);
    const log = await c.call<Schemas["RequestLog"]>("GET", "/admin/requests?operationId=listZones");
    const entry = log.body.entries[0];
    assert.equal(entry?.fault, "latency");
    assert.ok((entry?.durationMs ?? 0) >= 150, `durationMs ${entry?.durationMs} is below the injected 150`);
  });

  test("a dropConnection rule destroys the connection and does no work", async () => {
    await setFaults({ rules: [{ operation: "createVolume", kind: "dropConnection", count: 1 }] });
    const body = newVolume();
    await assert.rejects(c.call("POST", "/v1/volumes", body), TypeError);
    const listed = await c.call<Schemas["VolumeList"]>("GET", `/v1/volumes?name=${body.name}`);
    assert.deepEqual(listed.body.items, []);
    const log = await c.call<Schemas["RequestLog"]>("GET", "/admin/requests?operationId=createVolume");
    assert.deepEqual(log.body.counters, [{ operationId: "createVolume", status: 0, count: 1 }]);
  });

  test("crashAfterCommit stores the volume, drops the answer, and a retry with the key finds it", async () => {
    await setFaults({ rules: [{ operation: "createVolume", kind: "crashAfterCommit", count: 1 }] });
    const body = newVolume();
    const key = { "Idempotency-Key": uniqueName("key") };
    await assert.rejects(c.call("POST", "/v1/volumes", body, key), TypeError);
    const listed = await c.call<Schemas["VolumeList"]>("GET", `/v1/volumes?name=${body.name}`);
    assert.equal(listed.body.items.length, 1);
    const retry = await c.call<Operation>("POST", "/v1/volumes", body, key);
    assert.equal(retry.status, 202);
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.equal(retry.body.resourceId, listed.body.items[0]?.id);
  });

  test("a probabilistic rule with the same seed fires on the same requests", async () => {
    const run = async () => {
      await setFaults({
        seed: 42,
        rules: [{ operation: "listZones", kind: "error", status: 503, probability: 0.5 }],
      });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await c.call("GET", "/v1/zones")).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    assert.deepEqual(second, first);
    assert.ok(first.includes(503) && first.includes(200), `expected a mix, got ${first.join(",")}`);
  });

  test("faults never apply to the admin endpoints", async () => {
    await setFaults({ rules: [{ operation: "*", kind: "error", status: 500 }] });
    assert.equal((await c.call("GET", "/admin/health")).status, 200);
    assert.equal((await c.call("GET", "/admin/faults")).status, 200);
  });

  test("setFaults with an unknown fault kind is invalid_argument", async () => {
    const answer = await c.call<Problem>("PUT", "/admin/faults", {
      rules: [{ operation: "*", kind: "explode" }],
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, "invalid_argument");
    assert.equal(answer.body.errors?.[0]?.pointer, "/rules/0/kind");
  });
});

test("faults given at start are in force from the first request", async (t) => {
  const c = await startTestCloud(t, {
    localAttach: false,
    faults: { rules: [{ operation: "listZones", kind: "rateLimit", count: 1, retryAfterSeconds: 5 }] },
  });
  const answer = await c.call("GET", "/v1/zones");
  assert.equal(answer.status, 429);
  assert.equal(answer.headers.get("retry-after"), "5");
});
