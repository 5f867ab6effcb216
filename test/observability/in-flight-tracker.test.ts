import assert from "node:assert/strict";
import { test } from "node:test";
import { Metrics } from "../../src/observability/metrics.js";
import { seriesValue } from "./csi-harness.js";

function clockAt(startMs: number) {
  const clock = { ms: startMs, now: () => clock.ms };
  return clock;
}

test("the oldest-operation gauge reports the age of the oldest call still in flight", async () => {
  const clock = clockAt(1_000);
  const metrics = new Metrics({ defaultMetrics: false, now: clock.now });
  const first = metrics.csiInFlightTracker.start("CreateVolume");
  clock.ms = 4_000;
  metrics.csiInFlightTracker.start("CreateVolume");
  clock.ms = 31_000;

  assert.equal(
    await seriesValue(metrics, "ballast_csi_oldest_operation_age_seconds", { method: "CreateVolume" }),
    30,
  );

  metrics.csiInFlightTracker.finish("CreateVolume", first);

  assert.equal(
    await seriesValue(metrics, "ballast_csi_oldest_operation_age_seconds", { method: "CreateVolume" }),
    27,
  );
});

test("a method with nothing in flight reports 0 once it has been seen", async () => {
  const clock = clockAt(0);
  const metrics = new Metrics({ defaultMetrics: false, now: clock.now });
  const token = metrics.csiInFlightTracker.start("NodeStageVolume");
  clock.ms = 5_000;
  metrics.csiInFlightTracker.finish("NodeStageVolume", token);

  const { values } = await metrics.csiOldestInFlight.get();

  assert.deepEqual(
    values.map((value) => [value.labels.method, value.value]),
    [["NodeStageVolume", 0]],
  );
});
