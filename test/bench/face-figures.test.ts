import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BENCH_FACES, instancesFor } from "../../bench/harness/faces.js";
import { formatReport } from "../../bench/report-table.js";
import type { BenchReport } from "../../bench/run-bench.js";
import {
  type EconomyResult,
  economyTargets,
  type StrategyEconomy,
} from "../../bench/scenarios/api-economy.js";
import { benchReport } from "./report-fixture.js";

function strategy(name: string, perCreate: number, perAttach: number): StrategyEconomy {
  const phase = (callsPerVolume: number) => ({ callsPerVolume, calls: {}, wallMs: 10, errors: {} });
  return { strategy: name, create: phase(perCreate), attach: phase(perAttach), catalogReads: 0 };
}

function economy(provider: "digitalocean" | "hetzner", driver: StrategyEconomy): EconomyResult {
  return {
    provider,
    volumes: 4,
    warmUp: { volumes: 2, calls: {} },
    strategies: [driver, strategy("direct (provider adapter)", 1, 2)],
    targets: economyTargets(BENCH_FACES[provider], driver),
  };
}

function reportWith(faces: BenchReport["faces"]): BenchReport {
  return benchReport({ faces });
}

describe("bench faces", () => {
  test("a face whose API fixes the per-instance limit gets enough instances for every attachment", () => {
    assert.equal(instancesFor(BENCH_FACES.digitalocean, 1000, 10), 143);
    assert.equal(instancesFor(BENCH_FACES.hetzner, 1000, 10), 63);
    assert.equal(instancesFor(BENCH_FACES.digitalocean, 12, 3), 3);
    assert.equal(instancesFor(BENCH_FACES.ballast, 1000, 10), 10);
  });

  test("DigitalOcean's targets are <= 3 calls per create and per attach through the driver", () => {
    assert.deepEqual(economyTargets(BENCH_FACES.digitalocean, strategy("driver", 1, 3.5)), [
      { phase: "create", callsPerVolume: 3, driverCallsPerVolume: 1, met: true },
      { phase: "attach", callsPerVolume: 3, driverCallsPerVolume: 3.5, met: false },
    ]);
  });

  test("Hetzner's figures are reported without a target; ballast's target is <= 2 per create", () => {
    assert.deepEqual(economyTargets(BENCH_FACES.hetzner, strategy("driver", 2, 2)), []);
    assert.deepEqual(economyTargets(BENCH_FACES.ballast, strategy("driver", 2.5, 2)), [
      { phase: "create", callsPerVolume: 2, driverCallsPerVolume: 2.5, met: false },
    ]);
  });

  test("the report has an economy section per face and a summary line per provider with the verdicts", () => {
    const text = formatReport(
      reportWith({
        digitalocean: {
          economy: {
            status: "ok",
            durationMs: 1000,
            figures: economy("digitalocean", strategy("driver", 1, 3.5)),
          },
        },
        hetzner: {
          economy: { status: "failed", durationMs: 5, error: "Error: cloud did not start\n  at x" },
        },
      }),
    );
    assert.match(text, /## 2\. API economy on the digitalocean face \(calls per volume\) \(1\.0 s\)/);
    assert.match(text, /attach target <= 3 calls per volume through the driver: NOT met \(3\.5\)/);
    assert.match(
      text,
      /## 2\. API economy on the hetzner face \(calls per volume\)\n\nFAILED: Error: cloud did not start\n/,
    );
    const summary = text.slice(text.indexOf("## API calls per volume by provider"));
    assert.match(
      summary,
      /\| digitalocean \| 1 \/ 1 +\| 3\.5 \/ 2 +\| - +\| - +\| - +\| create <= 3: met, attach <= 3: NOT met \|/,
    );
    assert.match(summary, /\| hetzner +\| - \/ - +\| - \/ - +\| - +\| - +\| - +\| - +\|/);
  });
});
