import assert from "node:assert/strict";
import { test } from "node:test";
import { unary } from "../../src/csi/unary.js";
import { DeleteVolumeRequest } from "../../src/generated/csi.js";
import { notFound } from "../../src/shared/errors.js";
import { call, startCsiHarness } from "./csi-harness.js";

const VOLUMES = 1000;
const BATCH = 50;

test("1000 distinct volume ids through instrumented RPCs leave a fixed set of CSI series", async (t) => {
  const h = await startCsiHarness(
    {
      controller: {
        deleteVolume: unary(async (request: DeleteVolumeRequest) => {
          if (Number.parseInt(request.volumeId.slice(-1), 16) % 2 === 1)
            throw notFound(`${request.volumeId} is gone`);
          return {};
        }),
      },
    },
    "silent",
  );
  t.after(() => h.close());

  for (let start = 0; start < VOLUMES; start += BATCH) {
    await Promise.all(
      Array.from({ length: BATCH }, (_, offset) => {
        const volumeId = `vol-${(start + offset).toString(16).padStart(16, "0")}`;
        return call(h.controller.deleteVolume, h.controller, DeleteVolumeRequest.fromPartial({ volumeId }));
      }),
    );
  }

  const metrics = await h.metrics.registry.getMetricsAsJSON();
  const series = (name: string) => metrics.find((metric) => metric.name === name)?.values ?? [];
  const operations = series("ballast_csi_operations_total");
  assert.deepEqual(operations.map((value) => [value.labels.method, value.labels.code, value.value]).sort(), [
    ["DeleteVolume", "NOT_FOUND", VOLUMES / 2],
    ["DeleteVolume", "OK", VOLUMES / 2],
  ]);
  const bucketsPlusInf = 15;
  assert.equal(series("ballast_csi_operation_duration_seconds").length, 2 * (bucketsPlusInf + 2));
  assert.equal(series("ballast_csi_operations_in_flight").length, 1);
  const labelValues = metrics.flatMap((metric) =>
    metric.values.flatMap((value) => Object.values(value.labels)),
  );
  assert.deepEqual(
    labelValues.filter((value) => String(value).startsWith("vol-")),
    [],
  );
});
