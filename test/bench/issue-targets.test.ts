import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { MemoryPeaks } from "../../bench/harness/memory.js";
import type { LatencySummary } from "../../bench/harness/stats.js";
import {
  latencyVerdicts,
  memoryVerdict,
  nodePathVerdict,
  stormVerdict,
  verdictLine,
} from "../../bench/issue-targets.js";
import { formatReport } from "../../bench/report-table.js";
import type { AddedLatencyResult } from "../../bench/scenarios/added-latency.js";
import type { NodePathResult } from "../../bench/scenarios/node-path.js";
import type { StormPhase } from "../../bench/scenarios/provisioning-storm.js";
import { benchReport } from "./report-fixture.js";

const MiB = 1024 * 1024;

function summary(p50Ms: number, p99Ms: number): LatencySummary {
  return { count: 100, p50Ms, p99Ms, meanMs: p50Ms, maxMs: p99Ms };
}

function storm(directWallMs: number, wallRatio: number) {
  return { direct: { wallMs: directWallMs, apiCallsTotal: 4000 } as StormPhase, wallRatio };
}

const UNTHROTTLED = { qps: 5000, burst: 1000, volumes: 1000 };

function nodePath(ratio: number): NodePathResult {
  const rpc = summary(20, 25);
  return {
    iterations: 10,
    fsType: "ext4",
    driver: summary(219, 235),
    bare: summary(61.3, 71),
    rpcs: { NodeStageVolume: rpc, NodePublishVolume: rpc, NodeUnpublishVolume: rpc, NodeUnstageVolume: rpc },
    ratio,
    leftoverMounts: [],
  } as NodePathResult;
}

describe("bench issue 15 verdicts", () => {
  test("an unthrottled 1000-volume storm at 1.25x misses the 1.15x target", () => {
    assert.equal(
      verdictLine(stormVerdict(storm(9546, 1.25), UNTHROTTLED)),
      "- storm wall time, driver / direct: 1.25 (target <= 1.15): NOT met",
    );
  });

  test("an unthrottled 1000-volume storm at 1.09x meets it", () => {
    assert.equal(stormVerdict(storm(10821, 1.09), UNTHROTTLED).met, true);
  });

  test("a storm the rate limit held back is not judged, and the line says why", () => {
    assert.equal(
      verdictLine(stormVerdict(storm(19503, 1), { qps: 200, burst: 100, volumes: 1000 })),
      "- storm wall time, driver / direct: 1 (target <= 1.15): not judged: the rate limit held the storm back (4000 calls, 4001 allowed); the target is read on an unthrottled storm, such as --qps 5000 --burst 1000",
    );
  });

  test("a storm smaller than 1000 volumes is not judged", () => {
    assert.equal(
      verdictLine(stormVerdict(storm(300, 1.3), { ...UNTHROTTLED, volumes: 12 })),
      "- storm wall time, driver / direct: 1.3 (target <= 1.15): not judged: a storm of 12 volumes; the target is read on one of 1000",
    );
  });

  test("added latency is judged per RPC on the per-pair p99, with the control's p99 beside it", () => {
    const result = {
      samples: 100,
      rpcs: [
        { rpc: "CreateVolume", added: summary(5.7, 24.1), control: summary(0.3, 18.1) },
        { rpc: "ControllerGetVolume", added: summary(0.4, 1.8), control: summary(0, 1.2) },
      ],
    } as AddedLatencyResult;
    assert.deepEqual(latencyVerdicts(result).map(verdictLine), [
      "- CreateVolume added per pair at p99, ms: 24.1 (target <= 2): NOT met; the direct call against itself: 18.1 ms at p99 per pair",
      "- ControllerGetVolume added per pair at p99, ms: 1.8 (target <= 2): met; the direct call against itself: 1.2 ms at p99 per pair",
    ]);
  });

  test("the storm's RSS high-water mark meets 128 MiB in a 1000-volume storm and is not judged in a smaller one", () => {
    const peak = { rssHighWaterBytes: 106.5 * MiB } as MemoryPeaks;
    assert.equal(
      verdictLine(memoryVerdict(peak, 1000)),
      "- driver RSS high-water mark in the storm, MiB: 106.5 (target <= 128): met",
    );
    assert.equal(memoryVerdict({ rssHighWaterBytes: 140 * MiB } as MemoryPeaks, 1000).met, false);
    assert.equal(memoryVerdict(peak, 12).met, null);
  });

  test("the node path's ratio of p50s is judged against 1.5x", () => {
    assert.equal(
      verdictLine(nodePathVerdict(nodePath(3.5681))),
      "- node path, driver / bare (p50): 3.57 (target <= 1.5): NOT met",
    );
    assert.equal(nodePathVerdict(nodePath(1.42)).met, true);
  });

  test("the printed report puts the node path's verdict under its table", () => {
    const report = benchReport({
      scenarios: { node: { status: "ok", durationMs: 12_300, figures: nodePath(3.5681) } },
    });
    const section = formatReport(report).split("## 6. Node path (12.3 s)")[1] ?? "";
    assert.match(
      section,
      /\| NodeUnstageVolume +\| +\| p50 20\.0 ms \/ p99 25\.0 ms \| +\|\n\n- node path, driver \/ bare \(p50\): 3\.57 \(target <= 1\.5\): NOT met/,
    );
  });
});
