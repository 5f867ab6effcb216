import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage, CreateVolumeInput } from "../../src/controller/block-storage.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import type { FakeDigitalOcean } from "./digitalocean-fake-api.js";

const GIB = 1024 ** 3;
const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-digitalocean" };
const input = (name: string, sizeBytes = 15 * GIB): CreateVolumeInput => ({
  name,
  sizeBytes,
  zone: "nyc1",
  type: "do-block-storage",
  encrypted: false,
  tags: { "ballast.dev/managed-by": "block.csi.ballast.dev", "ballast.dev/csi-name": `default/${name}` },
});

describe("DigitalOcean provider: creating volumes", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter());
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("sends name, whole GiB, region, the ownership tag and the CO name in the description, nothing else", async () => {
    const volume = await storage.createVolume(input("pvc-1", 14.5 * GIB), options);
    const posts = fake.requests.filter((r) => r.method === "POST" && r.path === "/v2/volumes");
    assert.deepEqual(
      posts.map((r) => r.body),
      [
        {
          name: "pvc-1",
          size_gigabytes: 15,
          region: "nyc1",
          tags: ["ballast_2edev_2fmanaged-by:block_2ecsi_2eballast_2edev"],
          description: '{"ballast.dev/csi-name":"default/pvc-1"}',
        },
      ],
    );
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(
      {
        id: volume.id,
        name: volume.name,
        size: volume.sizeBytes,
        zone: volume.zone,
        status: volume.status,
        tags: volume.tags,
      },
      {
        id: [...fake.volumes.keys()][0],
        name: "pvc-1",
        size: 15 * GIB,
        zone: "nyc1",
        status: "available",
        tags: { "ballast.dev/managed-by": "block.csi.ballast.dev", "ballast.dev/csi-name": "default/pvc-1" },
      },
    );
  });

  test("a size below 1 GiB becomes 1 GiB, the smallest DigitalOcean volume", async () => {
    const volume = await storage.createVolume(input("pvc-small", 1), options);
    assert.equal(volume.sizeBytes, GIB);
  });

  test("a create whose answer was lost finds the volume by name in its region and makes no second one", async () => {
    let dropped = 0;
    fake.dropAnswerOf = (r) => r.method === "POST" && r.path === "/v2/volumes" && dropped++ === 0;
    const volume = await storage.createVolume(input("pvc-lost"), options);
    assert.equal(fake.volumes.size, 1);
    assert.equal(volume.id, [...fake.volumes.keys()][0]);
    assert.equal(volume.tags["ballast.dev/csi-name"], "default/pvc-lost");
    const lookups = fake.requests.filter((r) => r.method === "GET" && r.path === "/v2/volumes");
    assert.deepEqual(
      lookups.map((r) => [r.query.get("name"), r.query.get("region")]),
      [["pvc-lost", "nyc1"]],
    );
  });

  test("409 for a name taken in the region returns the volume found by name and region", async () => {
    fake.addVolume({
      name: "pvc-old",
      region: { name: "sfo3", slug: "sfo3", features: [], available: true, sizes: [] },
    });
    const existing = fake.addVolume({ name: "pvc-old", size_gigabytes: 15 });
    const volume = await storage.createVolume(input("pvc-old"), options);
    assert.equal(volume.id, existing.id);
    assert.equal(fake.volumes.size, 2);
    assert.equal(fake.calls("POST", /^\/v2\/volumes$/), 1);
  });

  test("422 for a name taken in the region is looked up the same way", async () => {
    fake.nameTakenStatus = 422;
    const existing = fake.addVolume({ name: "pvc-old", size_gigabytes: 15 });
    const volume = await storage.createVolume(input("pvc-old"), options);
    assert.equal(volume.id, existing.id);
    assert.equal(fake.volumes.size, 1);
  });

  test("concurrent creates of one name make one volume and both return it", async () => {
    const [a, b] = await Promise.all([
      storage.createVolume(input("pvc-race"), options),
      storage.createVolume(input("pvc-race"), options),
    ]);
    assert.equal(fake.calls("POST", /^\/v2\/volumes$/), 2);
    assert.equal(fake.volumes.size, 1);
    assert.equal(a.id, b.id);
  });

  test("a name DigitalOcean cannot take is hashed deterministically to one it can", async () => {
    const name = "PVC_Upper.Case";
    const first = await storage.createVolume(input(name), options);
    const found = await storage.findVolumeByName(name, options);
    assert.match(first.name, /^csi-[0-9a-f]{32}$/);
    assert.equal(found?.id, first.id);
  });

  test("a restore sends snapshot_id, and the volume says which snapshot it came from", async () => {
    const source = fake.addVolume({ name: "pvc-src", size_gigabytes: 15 });
    const snapshot = fake.addSnapshot(source, "snapshot-1");
    const volume = await storage.createVolume(
      { ...input("pvc-restored"), sourceSnapshotId: snapshot.id },
      options,
    );
    const post = fake.requests.find((r) => r.method === "POST" && r.path === "/v2/volumes");
    assert.equal((post?.body as { snapshot_id?: string } | undefined)?.snapshot_id, snapshot.id);
    assert.equal(volume.sourceSnapshotId, snapshot.id);
    const read = await storage.getVolume(volume.id, options);
    assert.equal(read?.sourceSnapshotId, snapshot.id);
    assert.equal(read?.tags["ballast.dev/restored-from"], undefined);
  });

  test("a restore from a snapshot that is gone is NotFound", async () => {
    await assert.rejects(
      storage.createVolume(
        { ...input("pvc-r"), sourceSnapshotId: "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11" },
        options,
      ),
      {
        kind: "NotFound",
        message:
          "DigitalOcean: cloud volumes_create: 404 not_found: snapshot not found (request 4d9d8375-3c56-4925-a3e7-eb137fed17e9)",
      },
    );
  });

  test("a size above 16 TiB is OutOfRange naming the field, the value and the provider", async () => {
    await assert.rejects(storage.createVolume(input("pvc-huge", 16_385 * GIB), options), {
      kind: "OutOfRange",
      message: `capacity_range: ${16_385 * GIB} bytes is 16385 GiB, more than the 16384 GiB a DigitalOcean volume can have`,
    });
    assert.equal(fake.requests.length, 0);
  });

  test("a zone that is no DigitalOcean region is InvalidArgument before any call", async () => {
    await assert.rejects(storage.createVolume({ ...input("pvc-z"), zone: "fsn1" }, options), {
      kind: "InvalidArgument",
      message:
        'accessibility_requirements: zone "fsn1" is not a DigitalOcean region (ams1, ams2, ams3, blr1, fra1, lon1, nyc1, nyc2, nyc3, sfo1, sfo2, sfo3, sgp1, tor1, syd1)',
    });
    assert.equal(fake.requests.length, 0);
  });

  test("IOPS, encryption and a clone source are refused naming the field and the provider", async () => {
    await assert.rejects(storage.createVolume({ ...input("pvc-i"), iops: 3000 }, options), {
      kind: "InvalidArgument",
      message: "parameters.iops: not offered by DigitalOcean",
    });
    await assert.rejects(storage.createVolume({ ...input("pvc-e"), encrypted: true }, options), {
      kind: "InvalidArgument",
      message: 'parameters.encrypted: "true" is not offered by DigitalOcean',
    });
    await assert.rejects(
      storage.createVolume(
        { ...input("pvc-c"), sourceVolumeId: "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11" },
        options,
      ),
      {
        kind: "InvalidArgument",
        message: "volume_content_source.volume: DigitalOcean cannot clone a volume",
      },
    );
    assert.equal(fake.requests.length, 0);
  });

  test("a volume id that is no UUID does not exist, without a call", async () => {
    assert.equal(await storage.getVolume("vol-123", options), undefined);
    await storage.deleteVolume("vol-123", options);
    assert.equal(fake.requests.length, 0);
  });

  test("deleting a volume that is gone is success; deleting an attached one is FailedPrecondition", async () => {
    await storage.deleteVolume("0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11", options);
    fake.addDroplet(11);
    const attached = fake.addVolume({ name: "pvc-busy" });
    fake.attach(attached, 11);
    await assert.rejects(storage.deleteVolume(attached.id as string, options), {
      kind: "FailedPrecondition",
      message: `volume_id: volume ${attached.id} cannot be deleted now: DigitalOcean: cloud volumes_delete: 409 conflict: volume is currently attached to a droplet (request 4d9d8375-3c56-4925-a3e7-eb137fed17e9)`,
    });
  });
});
