import { join } from "node:path";
import { median } from "../harness/stats.js";
import { runProvisioningStorm, type StormOptions, type StormResult } from "./provisioning-storm.js";

/**
 * The storm `count` times in a row, each round on fresh clouds and a fresh driver, direct side
 * first as in one storm. The figures are round 1's, with every round's wall times and the median
 * of their ratios: on this kind of machine one round's ratio moves by ±0.4 with how long the
 * reference cloud's synced state writes take, on the direct side as on the driver's.
 */
export async function runStormRounds(options: StormOptions, count: number): Promise<StormResult> {
  if (count <= 1) return runProvisioningStorm(options);
  const results: StormResult[] = [];
  for (let round = 1; round <= count; round++) {
    results.push(
      await runProvisioningStorm({ ...options, workDir: join(options.workDir, `round-${round}`) }),
    );
  }
  const each = results.map((result) => ({
    directWallMs: result.direct.wallMs,
    driverWallMs: result.driver.wallMs,
    wallRatio: result.wallRatio,
  }));
  const ratios = each.flatMap((round) => (round.wallRatio === null ? [] : [round.wallRatio]));
  const [first] = results as [StormResult, ...StormResult[]];
  return { ...first, rounds: { each, medianWallRatio: median(ratios) } };
}
