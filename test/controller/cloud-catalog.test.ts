import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { VolumeType, Zone } from "../../src/controller/block-storage.js";
import { CloudCatalog } from "../../src/controller/cloud-catalog.js";

/** A cloud whose tier list is `balanced-N` on its Nth listing; `failing` makes listings fail. */
class CountingCloud {
  typeListings = 0;
  failing = false;

  async listVolumeTypes(): Promise<VolumeType[]> {
    this.typeListings += 1;
    if (this.failing) throw new Error("cloud down");
    return [
      {
        name: `balanced-${this.typeListings}`,
        minSizeBytes: 1,
        maxSizeBytes: 2 ** 40,
        sizeGranularityBytes: 1,
        iops: undefined,
        throughput: undefined,
        supportsEncryption: true,
        multiAttach: false,
      },
    ];
  }

  async listZones(): Promise<Zone[]> {
    return [{ name: "ref-1a", available: true }];
  }
}

const OPTIONS = { deadline: 1_000_000 };

async function tierName(catalog: CloudCatalog): Promise<string | undefined> {
  return (await catalog.volumeTypes(OPTIONS))[0]?.name;
}

/** Lets a fetch started in the background finish. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("CloudCatalog", () => {
  test("callers that arrive during a fetch share it", async () => {
    const cloud = new CountingCloud();
    const catalog = new CloudCatalog(cloud, 1000, () => 0);

    const names = await Promise.all([tierName(catalog), tierName(catalog), tierName(catalog)]);

    assert.deepEqual(names, ["balanced-1", "balanced-1", "balanced-1"]);
    assert.equal(cloud.typeListings, 1);
  });

  test("a value early in its life is answered from the cache without a fetch", async () => {
    let now = 0;
    const cloud = new CountingCloud();
    const catalog = new CloudCatalog(cloud, 1000, () => now);
    await tierName(catalog);

    now = 799;
    assert.equal(await tierName(catalog), "balanced-1");
    await settle();

    assert.equal(cloud.typeListings, 1);
  });

  test("a value in the last fifth of its life is answered at once and refreshed in the background", async () => {
    let now = 0;
    const cloud = new CountingCloud();
    const catalog = new CloudCatalog(cloud, 1000, () => now);
    await tierName(catalog);

    now = 850;
    assert.equal(await tierName(catalog), "balanced-1");
    await settle();
    assert.equal(cloud.typeListings, 2);

    now = 1100;
    assert.equal(await tierName(catalog), "balanced-2");
    assert.equal(cloud.typeListings, 2);
  });

  test("an expired value is not used: the caller waits for the fetch", async () => {
    let now = 0;
    const cloud = new CountingCloud();
    const catalog = new CloudCatalog(cloud, 1000, () => now);
    await tierName(catalog);

    now = 1000;

    assert.equal(await tierName(catalog), "balanced-2");
    assert.equal(cloud.typeListings, 2);
  });

  test("a failed refresh keeps the value until it expires; then the caller sees the failure", async () => {
    let now = 0;
    const cloud = new CountingCloud();
    const catalog = new CloudCatalog(cloud, 1000, () => now);
    await tierName(catalog);
    cloud.failing = true;

    now = 900;
    assert.equal(await tierName(catalog), "balanced-1");
    await settle();
    assert.equal(cloud.typeListings, 2);

    now = 1000;
    await assert.rejects(tierName(catalog), { message: "cloud down" });
    cloud.failing = false;
    assert.equal(await tierName(catalog), "balanced-4");
  });
});
