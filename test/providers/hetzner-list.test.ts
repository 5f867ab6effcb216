import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startHetznerAdapter } from "./adapter-over-fake.js";
import type { FakeHetzner } from "./hetzner-fake-api.js";

const options = { deadline: Date.now() + 30_000 };

describe("Hetzner provider: listing volumes", () => {
  let fake: FakeHetzner;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startHetznerAdapter());
  });
  afterEach(() => fake.close());

  test("listing by tags sends the encoded labels as the selector and decodes what comes back", async () => {
    fake.addVolume({ name: "pvc-a", labels: { owner: "b32-1-mexwe" } });
    fake.addVolume({ name: "pvc-b", labels: { owner: "c" } });
    const page = await storage.listVolumes({ tags: { owner: "a/b" }, limit: 500, pageToken: "2" }, options);
    const query = fake.requests[0]?.query;
    assert.deepEqual(
      { selector: query?.get("label_selector"), page: query?.get("page"), perPage: query?.get("per_page") },
      { selector: "owner=b32-1-mexwe", page: "2", perPage: "50" },
    );
    assert.deepEqual(
      page.items.map((v) => [v.name, v.tags]),
      [["pvc-a", { owner: "a/b" }]],
    );
    assert.equal(page.nextPageToken, undefined);
  });

  test("a starting token that is no page number is Aborted naming it, before any call", async () => {
    await assert.rejects(storage.listVolumes({ pageToken: "abc" }, options), {
      kind: "Aborted",
      message: 'starting_token: "abc" is not a Hetzner Cloud page number',
    });
    assert.equal(fake.requests.length, 0);
  });
});
