import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startHetznerAdapter } from "./adapter-over-fake.js";
import type { FakeHetzner } from "./hetzner-fake-api.js";

const GIB = 1024 ** 3;
const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-hetzner" };

describe("Hetzner provider: resizing grows only", () => {
  let fake: FakeHetzner;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startHetznerAdapter());
  });
  afterEach(() => fake.close());

  test("a larger size posts the resize action in whole GB and waits for it", async () => {
    const volume = fake.addVolume({ name: "pvc-a", size: 10 });
    const resized = await storage.resizeVolume(String(volume.id), 20.2 * GIB, options);
    assert.deepEqual(fake.requests.find((r) => r.path.endsWith("/actions/resize"))?.body, { size: 21 });
    assert.equal(resized.sizeBytes, 21 * GIB);
    assert.equal(fake.volumes.get(volume.id)?.size, 21);
  });

  test("a size at or below the current one sends no resize and answers the volume as it is", async () => {
    const volume = fake.addVolume({ name: "pvc-a", size: 30 });
    const same = await storage.resizeVolume(String(volume.id), 12 * GIB, options);
    assert.equal(same.sizeBytes, 30 * GIB);
    assert.equal(fake.calls("POST", /\/actions\/resize$/), 0);
  });

  test("resizing a volume id that is no integer is NotFound without a call", async () => {
    await assert.rejects(storage.resizeVolume("vol-abc", 20 * GIB, options), {
      kind: "NotFound",
      message: "volume_id: volume vol-abc does not exist",
    });
    assert.equal(fake.requests.length, 0);
  });
});
