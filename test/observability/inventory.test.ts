import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type InventorySource, startInventoryRefresher } from "../../src/observability/inventory.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { CapturedLog, seriesValue } from "./csi-harness.js";

type Volumes = Awaited<ReturnType<InventorySource["countVolumes"]>>;
type Snapshots = Awaited<ReturnType<InventorySource["countSnapshots"]>>;

/** A source whose next answers the test sets; `calls` counts listings. */
class ScriptedSource implements InventorySource {
  volumes: Volumes | Error = { byStatus: {}, attachments: 0 };
  snapshots: Snapshots | Error = { byStatus: {} };
  calls = 0;

  async countVolumes(): Promise<Volumes> {
    this.calls += 1;
    if (this.volumes instanceof Error) throw this.volumes;
    return this.volumes;
  }

  async countSnapshots(): Promise<Snapshots> {
    if (this.snapshots instanceof Error) throw this.snapshots;
    return this.snapshots;
  }
}

const HOUR = 3_600_000;

function setup(source: ScriptedSource) {
  const metrics = new Metrics({ defaultMetrics: false });
  const log = new CapturedLog();
  const refresher = startInventoryRefresher({
    source,
    metrics,
    logger: createLogger("info", log.stream),
    intervalMs: HOUR,
  });
  return { metrics, log, refresher };
}

describe("startInventoryRefresher", () => {
  test("sets the volume, snapshot and attachment gauges from the source", async (t) => {
    const source = new ScriptedSource();
    source.volumes = { byStatus: { available: 3, "in-use": 2 }, attachments: 2 };
    source.snapshots = { byStatus: { available: 4, pending: 1 } };
    const { metrics, refresher } = setup(source);
    t.after(() => refresher.stop());

    await refresher.refresh();

    assert.equal(await seriesValue(metrics, "ballast_managed_volumes", { status: "available" }), 3);
    assert.equal(await seriesValue(metrics, "ballast_managed_volumes", { status: "in-use" }), 2);
    assert.equal(await seriesValue(metrics, "ballast_managed_snapshots", { status: "pending" }), 1);
    assert.equal(await seriesValue(metrics, "ballast_attachments", {}), 2);
    assert.ok((await seriesValue(metrics, "ballast_inventory_last_success_timestamp_seconds", {})) > 0);
  });

  test("a status that disappears from the cloud disappears from the gauge", async (t) => {
    const source = new ScriptedSource();
    source.volumes = { byStatus: { creating: 1, available: 1 }, attachments: 0 };
    const { metrics, refresher } = setup(source);
    t.after(() => refresher.stop());
    await refresher.refresh();

    source.volumes = { byStatus: { available: 2 }, attachments: 0 };
    await refresher.refresh();

    const { values } = await metrics.managedVolumes.get();
    assert.deepEqual(
      values.map((value) => [value.labels.status, value.value]),
      [["available", 2]],
    );
  });

  test("a failed listing keeps the last values, logs a warning and does not reject", async (t) => {
    const source = new ScriptedSource();
    source.volumes = { byStatus: { available: 5 }, attachments: 1 };
    const { metrics, log, refresher } = setup(source);
    t.after(() => refresher.stop());
    await refresher.refresh();
    const lastSuccess = await seriesValue(metrics, "ballast_inventory_last_success_timestamp_seconds", {});

    source.volumes = new Error("GET /v1/volumes: 503 unavailable");
    await refresher.refresh();

    assert.equal(await seriesValue(metrics, "ballast_managed_volumes", { status: "available" }), 5);
    assert.equal(await seriesValue(metrics, "ballast_attachments", {}), 1);
    assert.equal(
      await seriesValue(metrics, "ballast_inventory_last_success_timestamp_seconds", {}),
      lastSuccess,
    );
    const warning = log.records().find((record) => record.level === "warn");
    assert.equal(warning?.msg, "inventory: counting volumes failed; keeping the last values");
    assert.equal(
      (warning?.err as { message?: string } | undefined)?.message,
      "GET /v1/volumes: 503 unavailable",
    );
  });

  test("a complete refresh counts one success and no failure", async (t) => {
    const source = new ScriptedSource();
    const { metrics, refresher } = setup(source);
    t.after(() => refresher.stop());
    await refresher.refresh();

    await refresher.refresh();

    assert.equal(await seriesValue(metrics, "ballast_inventory_refreshes_total", { result: "success" }), 2);
    assert.equal(await seriesValue(metrics, "ballast_inventory_refreshes_total", { result: "failure" }), 0);
  });

  test("a refresh with a failed snapshot listing counts a failure, not a success", async (t) => {
    const source = new ScriptedSource();
    source.snapshots = new Error("GET /v1/snapshots: 500 internal");
    const { metrics, refresher } = setup(source);
    t.after(() => refresher.stop());

    await refresher.refresh();

    assert.equal(await seriesValue(metrics, "ballast_inventory_refreshes_total", { result: "failure" }), 1);
    assert.equal(await seriesValue(metrics, "ballast_inventory_refreshes_total", { result: "success" }), 0);
  });

  test("a refresh that throws while applying the answer counts a failure", async (t) => {
    const source = new ScriptedSource();
    source.volumes = { byStatus: { available: Number.NaN }, attachments: "x" as unknown as number };
    const { metrics, refresher } = setup(source);
    t.after(() => refresher.stop());

    await refresher.refresh();

    assert.equal(await seriesValue(metrics, "ballast_inventory_refreshes_total", { result: "failure" }), 1);
  });

  test("both refresh series are exported at 0 before the first refresh completes", async (t) => {
    const source = new ScriptedSource();
    let answer: (volumes: Volumes) => void = () => {};
    const listing = new Promise<Volumes>((resolve) => {
      answer = resolve;
    });
    source.countVolumes = () => listing;
    const { metrics, refresher } = setup(source);
    t.after(async () => {
      answer({ byStatus: {}, attachments: 0 });
      await refresher.refresh();
      refresher.stop();
    });

    const text = await metrics.registry.metrics();

    assert.equal(text.includes('ballast_inventory_refreshes_total{result="success"} 0'), true);
    assert.equal(text.includes('ballast_inventory_refreshes_total{result="failure"} 0'), true);
  });

  test("a refresh asked while one runs joins it instead of listing again", async (t) => {
    const source = new ScriptedSource();
    const { refresher } = setup(source);
    t.after(() => refresher.stop());

    await Promise.all([refresher.refresh(), refresher.refresh(), refresher.refresh()]);

    assert.equal(source.calls, 1);
  });

  test("a source answering a non-number is logged and the refresh still resolves", async (t) => {
    const source = new ScriptedSource();
    source.volumes = { byStatus: { available: Number.NaN }, attachments: "x" as unknown as number };
    const { log, refresher } = setup(source);
    t.after(() => refresher.stop());

    await refresher.refresh();

    assert.equal(
      log.records().some((record) => record.msg === "inventory: refresh failed; keeping the last values"),
      true,
    );
  });

  test("a listing that hangs past the timeout fails that refresh instead of blocking later ones", {
    timeout: 10_000,
  }, async (t) => {
    const source = new ScriptedSource();
    const hanging = () => new Promise<Volumes>(() => {});
    source.countVolumes = hanging;
    const metrics = new Metrics({ defaultMetrics: false });
    const log = new CapturedLog();
    const refresher = startInventoryRefresher({
      source,
      metrics,
      logger: createLogger("info", log.stream),
      intervalMs: HOUR,
      timeoutMs: 20,
    });
    t.after(() => refresher.stop());

    await refresher.refresh();

    const warning = log.records().find((record) => record.level === "warn");
    assert.equal((warning?.err as { message?: string } | undefined)?.message, "timed out after 20 ms");

    // The hung listing never settles; the next refresh must list anew rather than join it.
    source.countVolumes = ScriptedSource.prototype.countVolumes;
    source.volumes = { byStatus: { available: 5 }, attachments: 0 };
    await refresher.refresh();
    assert.equal(source.calls, 1);
    assert.equal(await seriesValue(metrics, "ballast_managed_volumes", { status: "available" }), 5);
  });
});
