import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { analysePromql, exportedSeries, selectorProblems } from "./promql.js";

describe("PromQL checks used by the dashboard and alert tests", () => {
  test("a broken expression yields errors", () => {
    assert.notDeepEqual(analysePromql("sum(rate(ballast_csi_operations_total[5m])").errors, []);
  });

  test("an unknown series and a label the series lacks are reported", async () => {
    const { selectors } = analysePromql(
      'rate(ballast_csi_operation_total[5m]) + ballast_attachments{method="x"}',
    );

    assert.deepEqual(selectorProblems(selectors, await exportedSeries()), [
      'unknown series "ballast_csi_operation_total"',
      'ballast_attachments has no label "method"',
    ]);
  });
});
