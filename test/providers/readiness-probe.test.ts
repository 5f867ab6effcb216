import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { ControllerService } from "../../src/controller/controller-service.js";
import { CloudReadiness } from "../../src/csi/cloud-readiness.js";
import { digitalOceanProvider } from "../../src/providers/digitalocean/index.js";
import { hetznerBlockStorage } from "../../src/providers/hetzner/block-storage-adapter.js";
import { hetznerProvider } from "../../src/providers/hetzner/index.js";
import type { ProviderProfile } from "../../src/providers/provider.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import { type FakeDigitalOcean, refuse as refuseDigitalOcean } from "./digitalocean-fake-api.js";
import { FakeHetzner, refuse as refuseHetzner } from "./hetzner-fake-api.js";

/** Probe's readiness over an adapter, wired as the controller process wires it. */
function readinessOver(cloud: BlockStorage, provider: ProviderProfile, failures: unknown[]): CloudReadiness {
  const service = new ControllerService({ cloud, provider, driverName: "block.csi.ballast.dev" });
  return new CloudReadiness(
    () => service.probeCloud({ deadline: Date.now() + 4_000 }),
    5_000,
    Date.now,
    (error) => failures.push(error),
  );
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

describe("Probe over DigitalOcean asks the API, not the fixed region list", () => {
  let fake: FakeDigitalOcean;
  let readiness: CloudReadiness;
  let failures: unknown[];
  beforeEach(async () => {
    const started = await startDigitalOceanAdapter();
    fake = started.fake;
    failures = [];
    readiness = readinessOver(started.storage, digitalOceanProvider, failures);
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("an answering API is ready after one GET /v2/volumes?per_page=1", async () => {
    assert.equal(await readiness.ready(), true);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}?${r.query}`),
      ["GET /v2/volumes?per_page=1"],
    );
  });

  test("a rejected token is not ready, and the failure names the 401", async () => {
    fake.interceptors = [refuseDigitalOcean(() => true, 401, "unauthorized", "Unable to authenticate you")];
    assert.equal(await readiness.ready(), false);
    assert.deepEqual(failures.map(messageOf), [
      "DigitalOcean: cloud volumes_list: the API rejected the driver's token (401 unauthorized)",
    ]);
  });

  test("an API that is down is not ready", async () => {
    await fake.close();
    assert.equal(await readiness.ready(), false);
  });
});

describe("Probe over Hetzner asks the API, not the fixed location list", () => {
  let fake: FakeHetzner;
  let readiness: CloudReadiness;
  let failures: unknown[];
  beforeEach(async () => {
    fake = await FakeHetzner.start();
    failures = [];
    const storage = hetznerBlockStorage(fake.client({ retry: { initialDelayMs: 1, maxDelayMs: 5 } }));
    readiness = readinessOver(storage, hetznerProvider, failures);
  });
  afterEach(() => fake.close());

  test("an answering API is ready after one GET /volumes?per_page=1", async () => {
    assert.equal(await readiness.ready(), true);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}?${r.query}`),
      ["GET /volumes?per_page=1"],
    );
  });

  test("a rejected token is not ready, and the failure names the 401", async () => {
    fake.interceptors = [refuseHetzner(() => true, 401, "unauthorized", "unable to authenticate")];
    assert.equal(await readiness.ready(), false);
    assert.deepEqual(failures.map(messageOf), [
      "Hetzner Cloud: cloud list_volumes: the API rejected the driver's token (401 unauthorized)",
    ]);
  });

  test("an API that is down is not ready", async () => {
    await fake.close();
    assert.equal(await readiness.ready(), false);
  });
});
