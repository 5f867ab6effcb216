import assert from "node:assert/strict";
import { test } from "node:test";
import { inventorySource } from "../../src/cli/cloud-lookups.js";
import type { BlockStorage, Snapshot, Volume } from "../../src/controller/block-storage.js";
import { MANAGED_BY_TAG } from "../../src/controller/storage-class-parameters.js";
import { ballastProvider } from "../../src/providers/ballast/index.js";
import { digitalOceanProvider } from "../../src/providers/digitalocean/index.js";

const DRIVER = "ballast.csi.example.com";

function volume(id: string): Volume {
  return {
    id,
    name: `pvc-${id}`,
    sizeBytes: 1024 ** 3,
    zone: "nyc1",
    type: "standard",
    encrypted: false,
    tags: { [MANAGED_BY_TAG]: DRIVER },
    status: "available",
    attachments: [],
  };
}

function snapshot(id: string, driver: string): Snapshot {
  return {
    id,
    name: `snapshot-${id}`,
    sourceVolumeId: "vol-1",
    sizeBytes: 1024 ** 3,
    status: "available",
    readyToUse: true,
    encrypted: false,
    createdAt: "2026-12-05T00:00:00Z",
    tags: { [MANAGED_BY_TAG]: driver },
  };
}

/** A cloud holding two managed volumes and two snapshots (one another driver's), counting its listings. */
function countingCloud() {
  const calls = { listVolumes: 0, listSnapshots: 0 };
  const storage = {
    async listVolumes() {
      calls.listVolumes += 1;
      return { items: [volume("vol-1"), volume("vol-2")] };
    },
    async listSnapshots() {
      calls.listSnapshots += 1;
      return { items: [snapshot("snap-1", DRIVER), snapshot("snap-2", "other.csi.example.com")] };
    },
  } as unknown as BlockStorage;
  return { storage, calls };
}

test("on the ballast API the inventory counts the driver's snapshots by status", async () => {
  const { storage, calls } = countingCloud();
  const source = inventorySource(storage, ballastProvider, DRIVER);
  assert.deepEqual(await source.countSnapshots(new AbortController().signal), {
    byStatus: { available: 1 },
  });
  assert.equal(calls.listSnapshots, 1);
});

test("on DigitalOcean the inventory never lists snapshots, whose listing costs a request per volume", async () => {
  const { storage, calls } = countingCloud();
  const source = inventorySource(storage, digitalOceanProvider, DRIVER);
  assert.deepEqual(await source.countSnapshots(new AbortController().signal), { byStatus: {} });
  assert.deepEqual(await source.countVolumes(new AbortController().signal), {
    byStatus: { available: 2 },
    attachments: 0,
  });
  assert.deepEqual(calls, { listVolumes: 1, listSnapshots: 0 });
});
