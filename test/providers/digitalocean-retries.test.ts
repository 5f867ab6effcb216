import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import { type FakeDigitalOcean, refuse } from "./digitalocean-fake-api.js";

const attachInput = { readOnly: false, exclusive: true };
const ACTIONS = /^\/v2\/volumes\/[^/]+\/actions$/;
const createInput = {
  name: "pvc-a",
  sizeBytes: 1024 ** 3,
  zone: "nyc1",
  type: "do-block-storage",
  encrypted: false,
  tags: {},
};

describe("DigitalOcean provider: retries and rate limits", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  const options = () => ({ deadline: Date.now() + 30_000, idempotencyKey: "unused-by-digitalocean" });
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter({ droplets: [11] }));
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("a 429 on an attach waits until ratelimit-reset, then sends the attach again", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    await storage.getVolume(volume.id as string, options());
    const reset = Math.ceil(Date.now() / 1000) + 1;
    fake.interceptors = [
      refuse(
        (r) => r.method === "POST" && ACTIONS.test(r.path),
        429,
        "too_many_requests",
        "API rate limit exceeded",
        {
          count: 1,
          headers: { "ratelimit-reset": String(reset), "ratelimit-remaining": "0" },
        },
      ),
    ];
    await storage.attachVolume(volume.id as string, "11", attachInput, options());
    const posts = fake.requests.filter((r) => r.method === "POST" && ACTIONS.test(r.path));
    assert.equal(posts.length, 2);
    assert.ok(
      (posts[1]?.at ?? 0) >= reset * 1000,
      `sent again at ${posts[1]?.at}, before the reset ${reset * 1000}`,
    );
    assert.deepEqual(fake.volumes.get(volume.id as string)?.droplet_ids, [11]);
  });

  test("a 429 whose reset is past the deadline fails at once with DeadlineExceeded", async () => {
    const reset = Math.ceil(Date.now() / 1000) + 600;
    fake.interceptors = [
      refuse((r) => r.method === "GET", 429, "too_many_requests", "API rate limit exceeded", {
        headers: { "ratelimit-reset": String(reset) },
      }),
    ];
    const started = Date.now();
    await assert.rejects(
      storage.getVolume("0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11", options()),
      (error: Error) => {
        assert.equal((error as { kind?: string }).kind, "DeadlineExceeded");
        assert.match(
          error.message,
          /^DigitalOcean: cloud volumes_get: deadline exceeded; last error: 429 too_many_requests: API rate limit exceeded \(request [0-9a-f-]+\) \(next attempt in \d+ ms, \d+ ms left\)$/,
        );
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000);
    assert.equal(fake.requests.length, 1);
  });

  test("a 500 on a read is retried with backoff", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    fake.interceptors = [
      refuse((r) => r.method === "GET", 500, "server_error", "Server was unable to give you a response.", {
        count: 2,
      }),
    ];
    assert.equal((await storage.getVolume(volume.id as string, options()))?.id, volume.id);
    assert.equal(fake.requests.length, 3);
  });

  test("a 500 on a create that made the volume is retried, refused as a taken name, and the volume found", async () => {
    let failed = false;
    fake.interceptors = [
      (r, res) => {
        if (failed || !(r.method === "POST" && r.path === "/v2/volumes")) return false;
        failed = true;
        fake.addVolume({ name: "pvc-a", size_gigabytes: 1 });
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "server_error", message: "Server was unable to give you a response." }));
        return true;
      },
    ];
    const volume = await storage.createVolume(createInput, options());
    assert.equal(fake.volumes.size, 1);
    assert.equal(volume.id, [...fake.volumes.keys()][0]);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ["POST /v2/volumes", "POST /v2/volumes", "GET /v2/volumes"],
    );
  });

  test("a DigitalOcean that keeps failing is Unavailable after the retries", async () => {
    fake.interceptors = [
      refuse((r) => r.method === "GET", 503, "service_unavailable", "down for maintenance"),
    ];
    await assert.rejects(storage.getInstance("11", options()), (error: Error) => {
      assert.equal((error as { kind?: string }).kind, "Unavailable");
      assert.match(
        error.message,
        /^DigitalOcean: cloud droplets_get: 503 service_unavailable: down for maintenance/,
      );
      return true;
    });
    assert.equal(fake.requests.length, 7);
  });
});
