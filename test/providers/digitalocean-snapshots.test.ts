import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import { type FakeDigitalOcean, refuse } from "./digitalocean-fake-api.js";

const GIB = 1024 ** 3;
const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-digitalocean" };
const SNAPSHOTS = /^\/v2\/volumes\/[^/]+\/snapshots$/;
const tags = {
  "ballast.dev/managed-by": "block.csi.ballast.dev",
  "ballast.dev/csi-name": "snapshot-1",
  "ballast.dev/volumesnapshot-name": "daily",
};

describe("DigitalOcean provider: snapshots", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter());
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("create posts the name and the ownership tag only, and the snapshot is ready at once", async () => {
    const volume = fake.addVolume({ name: "pvc-a", size_gigabytes: 12 });
    const snapshot = await storage.createSnapshot(
      { name: "snapshot-1", sourceVolumeId: volume.id as string, tags },
      options,
    );
    const post = fake.requests.find((r) => r.method === "POST" && SNAPSHOTS.test(r.path));
    assert.deepEqual(post?.body, {
      name: "snapshot-1",
      tags: ["ballast_2edev_2fmanaged-by:block_2ecsi_2eballast_2edev"],
    });
    assert.deepEqual(
      { ...snapshot, id: "", createdAt: "" },
      {
        id: "",
        name: "snapshot-1",
        sourceVolumeId: volume.id,
        sizeBytes: 12 * GIB,
        status: "available",
        readyToUse: true,
        encrypted: false,
        createdAt: "",
        tags: { "ballast.dev/managed-by": "block.csi.ballast.dev" },
      },
    );
  });

  test("a retried create (409, the name is taken on this volume) returns the snapshot the first one made", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    const first = fake.addSnapshot(volume, "snapshot-1");
    const again = await storage.createSnapshot(
      { name: "snapshot-1", sourceVolumeId: volume.id as string, tags },
      options,
    );
    assert.equal(again.id, first.id);
    assert.equal(fake.snapshots.size, 1);
  });

  test("a create whose answer was lost finds the snapshot by name and makes no second one", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    let dropped = 0;
    fake.dropAnswerOf = (r) => r.method === "POST" && SNAPSHOTS.test(r.path) && dropped++ === 0;
    const snapshot = await storage.createSnapshot(
      { name: "snapshot-1", sourceVolumeId: volume.id as string, tags },
      options,
    );
    assert.equal(fake.snapshots.size, 1);
    assert.equal(snapshot.id, [...fake.snapshots.keys()][0]);
  });

  test("a 409 for a name no snapshot of this volume has is AlreadyExists", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    fake.interceptors = [
      refuse((r) => r.method === "POST" && SNAPSHOTS.test(r.path), 409, "conflict", "name already in use"),
    ];
    await assert.rejects(
      storage.createSnapshot({ name: "snapshot-1", sourceVolumeId: volume.id as string, tags }, options),
      { kind: "AlreadyExists" },
    );
  });

  test("a snapshot of a volume that does not exist is NotFound", async () => {
    await assert.rejects(
      storage.createSnapshot(
        { name: "s", sourceVolumeId: "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11", tags },
        options,
      ),
      { kind: "NotFound" },
    );
    await assert.rejects(storage.createSnapshot({ name: "s", sourceVolumeId: "vol-1", tags }, options), {
      kind: "NotFound",
      message: "source_volume_id: volume vol-1 does not exist",
    });
  });

  test("get answers the snapshot, or undefined when it is gone; delete of a gone one is success", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    const made = fake.addSnapshot(volume, "snapshot-1");
    assert.equal((await storage.getSnapshot(made.id, options))?.sourceVolumeId, volume.id);
    await storage.deleteSnapshot(made.id, options);
    assert.equal(fake.snapshots.size, 0);
    assert.equal(await storage.getSnapshot(made.id, options), undefined);
    await storage.deleteSnapshot(made.id, options);
  });

  test("list of one volume pages with DigitalOcean's page numbers", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    for (const n of [1, 2, 3]) fake.addSnapshot(volume, `snapshot-${n}`);
    const first = await storage.listSnapshots({ sourceVolumeId: volume.id as string, limit: 2 }, options);
    assert.deepEqual(
      first.items.map((s) => s.name),
      ["snapshot-1", "snapshot-2"],
    );
    assert.equal(first.nextPageToken, "2");
    const second = await storage.listSnapshots(
      { sourceVolumeId: volume.id as string, limit: 2, pageToken: first.nextPageToken },
      options,
    );
    assert.deepEqual(
      second.items.map((s) => s.name),
      ["snapshot-3"],
    );
    assert.equal(second.nextPageToken, undefined);
  });

  test("list without a source volume walks every volume's snapshots", async () => {
    const a = fake.addVolume({ name: "pvc-a" });
    const b = fake.addVolume({ name: "pvc-b" });
    fake.addVolume({ name: "pvc-c" });
    fake.addSnapshot(a, "snapshot-a");
    fake.addSnapshot(b, "snapshot-b1");
    fake.addSnapshot(b, "snapshot-b2");
    const first = await storage.listSnapshots({ limit: 2 }, options);
    const second = await storage.listSnapshots({ limit: 2, pageToken: first.nextPageToken }, options);
    assert.deepEqual(
      [
        first.items.map((s) => s.name),
        first.nextPageToken,
        second.items.map((s) => s.name),
        second.nextPageToken,
      ],
      [["snapshot-a", "snapshot-b1"], "2", ["snapshot-b2"], undefined],
    );
  });

  test("a list of a volume that does not exist is empty, and a bad token is Aborted", async () => {
    assert.deepEqual(
      await storage.listSnapshots({ sourceVolumeId: "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11" }, options),
      { items: [] },
    );
    await assert.rejects(storage.listSnapshots({ pageToken: "abc" }, options), {
      kind: "Aborted",
      message: 'starting_token: "abc" is not a DigitalOcean page token',
    });
  });

  test("find by name looks through the snapshots of every volume", async () => {
    const a = fake.addVolume({ name: "pvc-a" });
    const b = fake.addVolume({ name: "pvc-b" });
    fake.addSnapshot(a, "snapshot-a");
    const wanted = fake.addSnapshot(b, "snapshot-b");
    assert.equal((await storage.findSnapshotByName("snapshot-b", options))?.id, wanted.id);
    assert.equal(await storage.findSnapshotByName("snapshot-z", options), undefined);
  });
});

describe("DigitalOcean provider: finding a snapshot by name", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter());
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("list without a source volume or a limit answers the whole walk in one page, walking once", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    for (let index = 0; index < 201; index += 1) fake.addSnapshot(volume, `snapshot-${index}`);
    const listed = await storage.listSnapshots({}, options);
    assert.deepEqual([listed.items.length, listed.nextPageToken], [201, undefined]);
    assert.equal(fake.requests.filter((r) => r.method === "GET" && r.path === "/v2/volumes").length, 1);
  });

  test("a snapshot this adapter made is found with one read, not a walk of every volume", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    fake.addVolume({ name: "pvc-b" });
    const made = await storage.createSnapshot(
      { name: "snapshot-1", sourceVolumeId: volume.id as string, tags },
      options,
    );
    const before = fake.requests.length;
    assert.equal((await storage.findSnapshotByName("snapshot-1", options))?.id, made.id);
    assert.deepEqual(
      fake.requests.slice(before).map((r) => `${r.method} ${r.path}`),
      [`GET /v2/volumes/snapshots/${made.id}`],
    );
  });

  test("a known snapshot deleted since is looked for again among every volume's snapshots", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    const made = await storage.createSnapshot(
      { name: "snapshot-1", sourceVolumeId: volume.id as string, tags },
      options,
    );
    fake.snapshots.delete(made.id);
    const other = fake.addVolume({ name: "pvc-b" });
    const again = fake.addSnapshot(other, "snapshot-1");
    assert.equal((await storage.findSnapshotByName("snapshot-1", options))?.id, again.id);
  });
});
