import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage, CreateVolumeInput } from "../../src/controller/block-storage.js";
import { digitalOceanBlockStorage } from "../../src/providers/digitalocean/block-storage-adapter.js";
import { cloneSnapshotName, withClonesViaSnapshots } from "../../src/providers/shared/clone-via-snapshot.js";
import { BallastError } from "../../src/shared/errors.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import type { FakeDigitalOcean } from "./digitalocean-fake-api.js";

const GIB = 1024 ** 3;
const options = { deadline: Date.now() + 30_000, idempotencyKey: "clone-key" };

/**
 * DigitalOcean has no clone; the shared snapshot → restore → delete wrapper can make one over this
 * adapter. These tests hold the adapter to what the wrapper needs: the clone's source kept on the
 * volume, the intermediate snapshot found by name and deleted.
 */
describe("DigitalOcean provider: clones through the shared snapshot-restore wrapper", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter());
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  const cloneOf = (sourceVolumeId: string): CreateVolumeInput => ({
    name: "pvc-clone",
    sizeBytes: 10 * GIB,
    zone: "nyc1",
    type: "do-block-storage",
    encrypted: false,
    tags: { "ballast.dev/managed-by": "block.csi.ballast.dev", "ballast.dev/csi-name": "pvc-clone" },
    sourceVolumeId,
  });

  test("a clone is one restored volume that reads as a copy of its source, with no snapshot left", async () => {
    const source = fake.addVolume({ name: "pvc-src", size_gigabytes: 10 });
    const clone = await withClonesViaSnapshots(storage).createVolume(cloneOf(source.id as string), options);
    assert.deepEqual([...fake.volumes.values()].map((v) => v.name).sort(), ["pvc-clone", "pvc-src"]);
    assert.equal(fake.snapshots.size, 0);
    assert.equal(clone.sourceVolumeId, source.id);
    const read = await withClonesViaSnapshots(storage).getVolume(clone.id, options);
    assert.equal(read?.sourceVolumeId, source.id);
  });

  test("a retry after the restore (the snapshot left behind) answers that clone and deletes the snapshot", async () => {
    const source = fake.addVolume({ name: "pvc-src", size_gigabytes: 10 });
    const snapshot = fake.addSnapshot(source, cloneSnapshotName("pvc-clone"));
    const restored = await storage.createVolume(
      {
        ...cloneOf(source.id as string),
        sourceVolumeId: undefined,
        sourceSnapshotId: snapshot.id,
        tags: { ...cloneOf("").tags, "ballast.dev/clone-of": source.id as string },
      },
      options,
    );
    const clone = await withClonesViaSnapshots(digitalOceanBlockStorage(fake.client())).createVolume(
      cloneOf(source.id as string),
      options,
    );
    assert.equal(clone.id, restored.id);
    assert.equal(clone.sourceVolumeId, source.id);
    assert.equal(fake.volumes.size, 2);
    assert.equal(fake.snapshots.size, 0);
  });

  test("a clone whose leftover snapshot is of another source is AlreadyExists and changes nothing", async () => {
    const first = fake.addVolume({ name: "pvc-src", size_gigabytes: 10 });
    const other = fake.addVolume({ name: "pvc-other", size_gigabytes: 10 });
    const leftover = fake.addSnapshot(first, cloneSnapshotName("pvc-clone"));
    const refused = await withClonesViaSnapshots(storage)
      .createVolume(cloneOf(other.id as string), options)
      .catch((e: unknown) => e);
    assert.ok(refused instanceof BallastError);
    assert.equal(refused.kind, "AlreadyExists");
    assert.equal(
      refused.message,
      `name: volume "pvc-clone" is already being cloned from volume ${first.id} (snapshot ${leftover.id}), incompatible with this request to clone volume ${other.id}`,
    );
    assert.deepEqual([...fake.volumes.values()].map((v) => v.name).sort(), ["pvc-other", "pvc-src"]);
    assert.deepEqual(
      [...fake.snapshots.values()].map((s) => s.id),
      [leftover.id],
    );
  });
});
