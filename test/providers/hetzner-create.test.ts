import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage, CreateVolumeInput } from "../../src/controller/block-storage.js";
import { startHetznerAdapter } from "./adapter-over-fake.js";
import type { FakeHetzner } from "./hetzner-fake-api.js";

const GIB = 1024 ** 3;
const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-hetzner" };
const input = (name: string, sizeBytes = 15 * GIB): CreateVolumeInput => ({
  name,
  sizeBytes,
  zone: "nbg1",
  type: "hcloud-volume",
  encrypted: false,
  tags: { "ballast.dev/managed-by": "block.csi.ballast.dev", "ballast.dev/csi-name": name },
});

describe("Hetzner provider: creating volumes", () => {
  let fake: FakeHetzner;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startHetznerAdapter());
  });
  afterEach(() => fake.close());

  test("sends name, whole GB, location and labels, never automount or format, and waits for the action", async () => {
    fake.actionPolls = 2;
    const volume = await storage.createVolume(input("pvc-1", 14.5 * GIB), options);
    const post = fake.requests.find((r) => r.method === "POST" && r.path === "/volumes");
    assert.deepEqual(post?.body, {
      name: "pvc-1",
      size: 15,
      location: "nbg1",
      labels: { "ballast.dev/csi-name": "pvc-1", "ballast.dev/managed-by": "block.csi.ballast.dev" },
    });
    assert.equal(fake.calls("GET", /^\/actions\/\d+$/), 2);
    assert.deepEqual(
      { id: volume.id, size: volume.sizeBytes, zone: volume.zone, status: volume.status },
      { id: String([...fake.volumes.keys()][0]), size: 15 * GIB, zone: "nbg1", status: "available" },
    );
  });

  test("a create whose answer was lost finds the volume by name and makes no second one", async () => {
    let dropped = 0;
    fake.dropAnswerOf = (r) => r.method === "POST" && r.path === "/volumes" && dropped++ === 0;
    const volume = await storage.createVolume(input("pvc-lost"), options);
    assert.equal(fake.volumes.size, 1);
    assert.equal(fake.calls("POST", /^\/volumes$/), 1);
    assert.equal(volume.id, String([...fake.volumes.keys()][0]));
    assert.equal(volume.tags["ballast.dev/csi-name"], "pvc-lost");
  });

  test("concurrent creates of one name make one volume and both return it", async () => {
    const [a, b] = await Promise.all([
      storage.createVolume(input("pvc-race"), options),
      storage.createVolume(input("pvc-race"), options),
    ]);
    assert.equal(fake.calls("POST", /^\/volumes$/), 2);
    assert.equal(fake.volumes.size, 1);
    assert.equal(a.id, b.id);
  });

  test("uniqueness_error looks the volume up by name", async () => {
    const existing = fake.addVolume({
      name: "pvc-old",
      size: 15,
      labels: { "ballast.dev/csi-name": "pvc-old" },
    });
    const volume = await storage.createVolume(input("pvc-old"), options);
    assert.equal(volume.id, String(existing.id));
    const lookups = fake.requests.filter((r) => r.method === "GET" && r.path === "/volumes");
    assert.deepEqual(
      lookups.map((r) => r.query.get("name")),
      ["pvc-old"],
    );
    assert.equal(fake.volumes.size, 1);
  });

  test("a name Hetzner cannot take is hashed deterministically to one it can", async () => {
    const long = `pvc-${"x".repeat(80)}`;
    const first = await storage.createVolume(input(long), options);
    const found = await storage.findVolumeByName(long, options);
    assert.match(first.name, /^csi-[0-9a-f]{32}$/);
    assert.equal(found?.id, first.id);
  });

  test("a size above 10240 GB is OutOfRange naming the field, the value and the provider", async () => {
    await assert.rejects(storage.createVolume(input("pvc-huge", 10_241 * GIB), options), {
      kind: "OutOfRange",
      message: `capacity_range: ${10_241 * GIB} bytes is 10241 GB, more than the 10240 GB a Hetzner Cloud volume can have`,
    });
    assert.equal(fake.requests.length, 0);
  });

  test("a zone that is no Hetzner location is InvalidArgument before any call", async () => {
    await assert.rejects(storage.createVolume({ ...input("pvc-z"), zone: "nyc1" }, options), {
      kind: "InvalidArgument",
      message:
        'accessibility_requirements: zone "nyc1" is not a Hetzner Cloud location (fsn1, nbg1, hel1, ash, hil, sin)',
    });
    assert.equal(fake.requests.length, 0);
  });
});
