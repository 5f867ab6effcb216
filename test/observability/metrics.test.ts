import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_DEVICE_WAIT_MS } from "../../src/node/node-service.js";
import { Metrics } from "../../src/observability/metrics.js";
import { parseExposition } from "./exposition.js";

/** The finite `le` bounds of a histogram, observed once so prom-client exports its buckets. */
async function bucketBounds(metrics: Metrics, name: string): Promise<number[]> {
  const { values } = await (
    metrics.registry.getSingleMetric(name) as unknown as {
      get(): Promise<{ values: { metricName?: string; labels: Record<string, string | number> }[] }>;
    }
  ).get();
  return values
    .filter((value) => value.metricName === `${name}_bucket` && value.labels.le !== "+Inf")
    .map((value) => Number(value.labels.le));
}

describe("Metrics", () => {
  test("device-wait buckets reach 60 s, past the default 30 s wait", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.nodeDeviceWait.observe({ result: "timeout" }, DEFAULT_DEVICE_WAIT_MS / 1000);

    const bounds = await bucketBounds(metrics, "ballast_node_device_wait_seconds");

    assert.equal(bounds.includes(DEFAULT_DEVICE_WAIT_MS / 1000), true, `buckets ${bounds.join(", ")}`);
    assert.equal(Math.max(...bounds) >= 60, true, `buckets ${bounds.join(", ")}`);
  });

  test("a node process exports no inventory refresh series (the counter is controller-only)", async () => {
    const metrics = new Metrics({ defaultMetrics: false });

    const text = await metrics.registry.metrics();

    assert.equal(/^ballast_inventory_refreshes_total/m.test(text), false);
  });

  test("exports the process and runtime metrics under the standard unprefixed names", async () => {
    const metrics = new Metrics();

    const text = await metrics.registry.metrics();
    const scrape = parseExposition(text);

    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "process_open_fds",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_version_info",
    ]) {
      assert.equal(scrape.has(name), true, name);
    }
    assert.deepEqual(text.match(/^ballast_(process|nodejs)_\w+/gm), null);
  });
});
