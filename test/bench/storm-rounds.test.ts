import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { median } from "../../bench/harness/stats.js";
import { stormVerdict, verdictLine } from "../../bench/issue-targets.js";
import { parseBenchArgs, UsageError } from "../../bench/options.js";
import type { StormPhase } from "../../bench/scenarios/provisioning-storm.js";
import { runStormRounds } from "../../bench/scenarios/storm-rounds.js";
import { smallEnvironment } from "./small-environment.js";

describe("bench --storm-rounds", () => {
  test("runs the storm once unless given", () => {
    assert.equal(parseBenchArgs([], "/tmp/out")?.stormRounds, 1);
    assert.equal(parseBenchArgs(["--storm-rounds", "5"], "/tmp/out")?.stormRounds, 5);
  });

  test("a count that is not a positive whole number is refused, naming the flag", () => {
    assert.throws(
      () => parseBenchArgs(["--storm-rounds", "0"], "/tmp/out"),
      (error: unknown) => error instanceof UsageError && error.message.startsWith("--storm-rounds:"),
    );
  });

  test("the median is the middle ratio, or the mean of the two middle ones", () => {
    assert.equal(median([1.4, 1.09, 1.25]), 1.25);
    assert.equal(median([1.4, 1.09, 1.25, 1.3]), 1.275);
    assert.equal(median([]), null);
  });

  test("the verdict reads the rounds' median, not round 1's ratio", () => {
    const storm = {
      direct: { wallMs: 9546, apiCallsTotal: 4000 } as StormPhase,
      wallRatio: 1.09,
      rounds: {
        each: [
          { directWallMs: 9546, driverWallMs: 10405, wallRatio: 1.09 },
          { directWallMs: 8707, driverWallMs: 12188, wallRatio: 1.4 },
          { directWallMs: 9546, driverWallMs: 11945, wallRatio: 1.25 },
        ],
        medianWallRatio: 1.25,
      },
    };
    assert.equal(
      verdictLine(stormVerdict(storm, { qps: 5000, burst: 1000, volumes: 1000 })),
      "- storm wall time, driver / direct, median of 3 rounds: 1.25 (target <= 1.15): NOT met",
    );
  });

  test("two rounds each run both sides on fresh clouds; the figures are round 1's", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "ballast-bench-rounds-"));
    try {
      const { workDir: _unused, ...environment } = smallEnvironment(workDir);
      const result = await runStormRounds(
        { ...environment, workDir, volumes: 3, concurrency: 3, instances: 1, idleSettleMs: 0 },
        2,
      );
      const rounds = result.rounds?.each ?? [];
      assert.equal(rounds.length, 2);
      for (const round of rounds) {
        assert.equal(round.wallRatio, Math.round((round.driverWallMs / round.directWallMs) * 1000) / 1000);
      }
      assert.deepEqual(
        {
          directWallMs: result.direct.wallMs,
          driverWallMs: result.driver.wallMs,
          wallRatio: result.wallRatio,
        },
        rounds[0],
      );
      assert.equal(result.rounds?.medianWallRatio, median(rounds.map((round) => round.wallRatio ?? 0)));
      for (const side of [result.direct, result.driver]) {
        assert.deepEqual(side.errors, {});
        assert.equal(side.audit.volumes, 3);
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
