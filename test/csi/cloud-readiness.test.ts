import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import { startReferenceCloud } from "../../src/cloud-sim/index.js";
import { ControllerService } from "../../src/controller/controller-service.js";
import { CloudReadiness } from "../../src/csi/cloud-readiness.js";
import { cloudBlockStorage } from "../../src/providers/ballast/block-storage-adapter.js";
import { ballastProvider } from "../../src/providers/ballast/index.js";

describe("CloudReadiness", () => {
  test("a failing cloud is not ready, and the failure is reported once", async () => {
    const failures: unknown[] = [];
    const readiness = new CloudReadiness(
      async () => Promise.reject(new Error("connection refused")),
      1000,
      () => 0,
      (error) => failures.push(error),
    );
    assert.equal(await readiness.ready(), false);
    assert.equal(await readiness.ready(), false);
    assert.equal(failures.length, 1);
  });

  test("answers from the cache until it expires", async () => {
    let now = 0;
    let calls = 0;
    const readiness = new CloudReadiness(
      async () => {
        calls++;
      },
      1000,
      () => now,
    );
    await readiness.ready();
    now = 999;
    await readiness.ready();
    now = 1000;
    await readiness.ready();
    assert.equal(calls, 2);
  });

  test("concurrent probes share one check", async () => {
    let calls = 0;
    const readiness = new CloudReadiness(async () => {
      calls++;
    });
    const answers = await Promise.all([readiness.ready(), readiness.ready(), readiness.ready()]);
    assert.deepEqual(answers, [true, true, true]);
    assert.equal(calls, 1);
  });
});

describe("Probe's view of a cloud that goes away", () => {
  test("answers not ready once the readiness cache expires, however long the zone catalog is cached", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ballast-readiness-"));
    const cloud = await startReferenceCloud({
      dataDir: dir,
      byIdDir: join(dir, "by-id"),
      localAttach: false,
    });
    const client = createBlockStorageClient({
      baseUrl: cloud.url,
      token: cloud.token,
      retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 5 },
    });
    const service = new ControllerService({
      provider: ballastProvider,
      cloud: cloudBlockStorage(client),
      driverName: "block.csi.ballast.dev",
      catalogTtlMs: 60_000,
    });
    let now = 0;
    const readiness = new CloudReadiness(
      () => service.probeCloud({ deadline: Date.now() + 5_000 }),
      5_000,
      () => now,
    );
    try {
      // CreateVolume's catalog lookup fills the zone cache just before the outage.
      await service.context.catalog.zoneList({ deadline: Date.now() + 5_000 });
      assert.equal(await readiness.ready(), true);
      await cloud.close();
      now += 5_000;
      assert.equal(await readiness.ready(), false);
    } finally {
      await client.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
