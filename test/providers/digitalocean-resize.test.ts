import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import type { FakeDigitalOcean } from "./digitalocean-fake-api.js";

const GIB = 1024 ** 3;
const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-digitalocean" };
const ACTIONS = /^\/v2\/volumes\/[^/]+\/actions$/;

describe("DigitalOcean provider: growing volumes", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter());
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("resize posts the resize action in whole GiB with the region, polls it, and answers the new size", async () => {
    fake.actionPolls = 2;
    const volume = fake.addVolume({ name: "pvc-a", size_gigabytes: 10 });
    const grown = await storage.resizeVolume(volume.id as string, 20.5 * GIB, options);
    const post = fake.requests.find((r) => r.method === "POST" && ACTIONS.test(r.path));
    assert.deepEqual(post?.body, { type: "resize", size_gigabytes: 21, region: "nyc1" });
    assert.equal(grown.sizeBytes, 21 * GIB);
    assert.equal(fake.volumes.get(volume.id as string)?.size_gigabytes, 21);
  });

  test("a size at or below the current one sends no action: volumes only grow", async () => {
    const volume = fake.addVolume({ name: "pvc-a", size_gigabytes: 10 });
    const same = await storage.resizeVolume(volume.id as string, 5 * GIB, options);
    assert.equal(same.sizeBytes, 10 * GIB);
    assert.equal(fake.calls("POST", ACTIONS), 0);
  });

  test("a resize refused because an earlier attempt already grew the volume is success", async () => {
    const volume = fake.addVolume({ name: "pvc-a", size_gigabytes: 10 });
    fake.interceptors = [
      (r, res) => {
        if (!(r.method === "POST" && ACTIONS.test(r.path))) return false;
        volume.size_gigabytes = 20;
        res.writeHead(422, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "unprocessable_entity", message: "new size must be larger" }));
        return true;
      },
    ];
    const grown = await storage.resizeVolume(volume.id as string, 20 * GIB, options);
    assert.equal(grown.sizeBytes, 20 * GIB);
  });

  test("above 16 TiB is OutOfRange, and a volume that is gone is NotFound", async () => {
    const volume = fake.addVolume({ name: "pvc-a", size_gigabytes: 10 });
    await assert.rejects(storage.resizeVolume(volume.id as string, 16_385 * GIB, options), {
      kind: "OutOfRange",
      message: `capacity_range: ${16_385 * GIB} bytes is 16385 GiB, more than the 16384 GiB a DigitalOcean volume can have`,
    });
    await assert.rejects(storage.resizeVolume("0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11", GIB, options), {
      kind: "NotFound",
      message: "volume_id: volume 0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11 does not exist",
    });
  });

  test("modify is Unimplemented naming the provider", async () => {
    await assert.rejects(
      storage.modifyVolume("0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11", { iops: 5000 }, options),
      {
        kind: "Unimplemented",
        message: "mutable_parameters: provider digitalocean (DigitalOcean) has no such feature",
      },
    );
  });
});
