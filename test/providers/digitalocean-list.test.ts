import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import type { FakeDigitalOcean } from "./digitalocean-fake-api.js";

const options = { deadline: Date.now() + 30_000 };
const OWNED = "ballast_2edev_2fmanaged-by:block_2ecsi_2eballast_2edev";

describe("DigitalOcean provider: listing volumes, droplets, zones", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter());
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("volumes are listed by DigitalOcean's pages, filtered to the tags asked for", async () => {
    fake.addVolume({ name: "pvc-1", tags: [OWNED] });
    fake.addVolume({ name: "someone-elses" });
    fake.addVolume({ name: "pvc-2", tags: [OWNED, "team:a"] });
    const wanted = { "ballast.dev/managed-by": "block.csi.ballast.dev" };
    const first = await storage.listVolumes({ limit: 2, tags: wanted }, options);
    const second = await storage.listVolumes(
      { limit: 2, tags: wanted, pageToken: first.nextPageToken },
      options,
    );
    assert.deepEqual(
      [
        first.items.map((v) => v.name),
        first.nextPageToken,
        second.items.map((v) => v.name),
        second.nextPageToken,
      ],
      [["pvc-1"], "2", ["pvc-2"], undefined],
    );
    assert.deepEqual(
      fake.requests.map((r) => [r.query.get("page"), r.query.get("per_page")]),
      [
        ["1", "2"],
        ["2", "2"],
      ],
    );
  });

  test("a listed volume shows its attachment and is in use", async () => {
    fake.addDroplet(11);
    const volume = fake.addVolume({ name: "pvc-1" });
    fake.attach(volume, 11);
    const { items } = await storage.listVolumes({}, options);
    assert.deepEqual(
      items.map((v) => [v.status, v.attachments.map((a) => [a.instanceId, a.byIdPath])]),
      [["in-use", [["11", "/dev/disk/by-id/scsi-0DO_Volume_pvc-1"]]]],
    );
  });

  test("a page token that is no page number is Aborted", async () => {
    await assert.rejects(storage.listVolumes({ pageToken: "0" }, options), {
      kind: "Aborted",
      message: 'starting_token: "0" is not a DigitalOcean page token',
    });
  });

  test("a droplet reads as an instance in its region with 7 slots and its volumes", async () => {
    fake.addDroplet(11, "fra1", ["0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11"]);
    assert.deepEqual(await storage.getInstance("11", options), {
      id: "11",
      name: "droplet-11",
      zone: "fra1",
      maxAttachedVolumes: 7,
      attachedVolumeIds: ["0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11"],
    });
    assert.equal(await storage.getInstance("droplet-11", options), undefined);
  });

  test("every region is a zone, and one volume type of 1 GiB to 16 TiB in whole GiB", async () => {
    const zones = await storage.listZones(options);
    assert.equal(zones.length, 15);
    assert.ok(zones.every((z) => z.available));
    assert.deepEqual(await storage.listVolumeTypes(options), [
      {
        name: "do-block-storage",
        minSizeBytes: 1024 ** 3,
        maxSizeBytes: 16_384 * 1024 ** 3,
        sizeGranularityBytes: 1024 ** 3,
        supportsEncryption: false,
        multiAttach: false,
      },
    ]);
    assert.equal(fake.requests.length, 0);
  });
});
