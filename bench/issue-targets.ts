/**
 * Issue 15's targets for scenarios 1, 3, 5 and 6, judged on one run's figures (scenario 7 judges
 * its own, `NodeFloorResult.targets`). A target defined on a run of a certain kind (an
 * unthrottled storm, a 1000-volume one) is not judged on another: its line says why instead.
 */
import type { MemoryPeaks } from "./harness/memory.js";
import { MiB } from "./report-format.js";
import type { AddedLatencyResult } from "./scenarios/added-latency.js";
import type { NodePathResult } from "./scenarios/node-path.js";
import type { StormPhase, StormRounds } from "./scenarios/provisioning-storm.js";

export interface TargetVerdict {
  figure: string;
  value: number | null;
  target: string;
  /** null when this run is not the kind the target is read on (`notJudged` says why). */
  met: boolean | null;
  notJudged?: string;
  /** A figure of the same run that bounds how finely this one can be read. */
  context?: string;
}

/** The storm the memory target names. */
const TARGET_STORM_VOLUMES = 1000;

function rounded(value: number | null, digits: number): number | null {
  return value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
}

function stormSize(volumes: number): string {
  return `a storm of ${volumes} volumes; the target is read on one of ${TARGET_STORM_VOLUMES}`;
}

/**
 * Driver wall time over the direct side's, at most 1.15×, read on a 1000-volume storm the rate
 * limit does not hold back: one where the limit (its burst, then qps for each second of the
 * direct side's wall time) would have allowed at least twice the calls made. Under a binding
 * limit both sides take the limit's time and the ratio says nothing about the driver.
 */
export function stormVerdict(
  storm: { direct: StormPhase; wallRatio: number | null; rounds?: StormRounds | undefined },
  run: { qps: number; burst: number; volumes: number },
): TargetVerdict {
  const wallRatio = storm.rounds === undefined ? storm.wallRatio : storm.rounds.medianWallRatio;
  const verdict = {
    figure:
      storm.rounds === undefined
        ? "storm wall time, driver / direct"
        : `storm wall time, driver / direct, median of ${storm.rounds.each.length} rounds`,
    value: rounded(wallRatio, 2),
    target: "<= 1.15",
  };
  if (run.volumes < TARGET_STORM_VOLUMES) {
    return { ...verdict, met: null, notJudged: stormSize(run.volumes) };
  }
  const allowed = run.burst + run.qps * (storm.direct.wallMs / 1000);
  if (storm.direct.apiCallsTotal * 2 > allowed) {
    return {
      ...verdict,
      met: null,
      notJudged: `the rate limit held the storm back (${storm.direct.apiCallsTotal} calls, ${Math.round(allowed)} allowed); the target is read on an unthrottled storm, such as --qps 5000 --burst 1000`,
    };
  }
  return { ...verdict, met: wallRatio !== null && wallRatio <= 1.15 };
}

/**
 * Per RPC, the driver's added time per pair at p99, at most 2 ms; beside it the control's (the
 * direct call paired with itself), which no driver can go below.
 */
export function latencyVerdicts(result: AddedLatencyResult): TargetVerdict[] {
  return result.rpcs.map((rpc) => ({
    figure: `${rpc.rpc} added per pair at p99, ms`,
    value: rpc.added.p99Ms,
    target: "<= 2",
    met: rpc.added.p99Ms <= 2,
    context: `the direct call against itself: ${rpc.control.p99Ms} ms at p99 per pair`,
  }));
}

/** The driver's RSS high-water mark through the storm, at most 128 MiB, on a 1000-volume storm. */
export function memoryVerdict(peak: MemoryPeaks, volumes: number): TargetVerdict {
  const peakMiB = peak.rssHighWaterBytes / MiB;
  const verdict = {
    figure: "driver RSS high-water mark in the storm, MiB",
    value: rounded(peakMiB, 1),
    target: "<= 128",
  };
  if (volumes < TARGET_STORM_VOLUMES) {
    return { ...verdict, met: null, notJudged: stormSize(volumes) };
  }
  return { ...verdict, met: peakMiB <= 128 };
}

/** The node path through the driver over the bare commands (p50s), at most 1.5×. */
export function nodePathVerdict(node: NodePathResult): TargetVerdict {
  return {
    figure: "node path, driver / bare (p50)",
    value: rounded(node.ratio, 2),
    target: "<= 1.5",
    met: node.ratio !== null && node.ratio <= 1.5,
  };
}

export function verdictLine(verdict: TargetVerdict): string {
  const outcome =
    verdict.met === null
      ? `not judged: ${verdict.notJudged ?? "no reason given"}`
      : verdict.met
        ? "met"
        : "NOT met";
  const context = verdict.context === undefined ? "" : `; ${verdict.context}`;
  return `- ${verdict.figure}: ${verdict.value ?? "n/a"} (target ${verdict.target}): ${outcome}${context}`;
}
