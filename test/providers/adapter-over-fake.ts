import assert from "node:assert/strict";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { digitalOceanBlockStorage } from "../../src/providers/digitalocean/block-storage-adapter.js";
import { hetznerBlockStorage } from "../../src/providers/hetzner/block-storage-adapter.js";
import { FakeDigitalOcean } from "./digitalocean-fake-api.js";
import { FakeHetzner } from "./hetzner-fake-api.js";

/** A provider's block-storage adapter and the fake cloud API it talks to. */
export interface AdapterOverFake<Fake> {
  fake: Fake;
  storage: BlockStorage;
}

/** The DigitalOcean adapter over a fresh fake API that already has `droplets` in nyc1. */
export async function startDigitalOceanAdapter(
  options: { droplets?: number[] } = {},
): Promise<AdapterOverFake<FakeDigitalOcean>> {
  const fake = await FakeDigitalOcean.start();
  for (const id of options.droplets ?? []) fake.addDroplet(id);
  return { fake, storage: digitalOceanBlockStorage(fake.client()) };
}

/**
 * Stops the fake, then fails the test if any request the adapter sent, or answer it was given, broke
 * the published description: a test can pass on its own assertions and still have spoken wrongly.
 */
export async function stopDigitalOceanAdapter(fake: FakeDigitalOcean): Promise<void> {
  await fake.close();
  assert.deepEqual(fake.violations, []);
}

/** The Hetzner adapter over a fresh fake API. */
export async function startHetznerAdapter(): Promise<AdapterOverFake<FakeHetzner>> {
  const fake = await FakeHetzner.start();
  return { fake, storage: hetznerBlockStorage(fake.client()) };
}
