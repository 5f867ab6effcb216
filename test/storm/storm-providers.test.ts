import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ProviderName } from "../../src/providers/provider.js";
import { requireRoot } from "../helpers/root.js";
import { formatReport, runStorm } from "./storm.js";

const KILLS = 1;
const DATA_CHECKS = 1;

/**
 * The storm on the other clouds' faces, smaller than the ballast one so CI stays fast: the same
 * driver code paths (retries without idempotency keys, lookups by name) under every fault kind.
 */
describe("the fault storm on other clouds' faces of the reference cloud", () => {
  for (const provider of ["digitalocean", "hetzner"] satisfies ProviderName[]) {
    test(`a CI-sized storm on the ${provider} face with 20 % cloud faults and a controller SIGKILL loses, leaks and duplicates nothing`, async (t) => {
      if (!requireRoot(t)) return;
      const report = await runStorm({
        provider,
        workers: 4,
        volumes: 8,
        kills: KILLS,
        errorRate: 0.2,
        dataChecks: DATA_CHECKS,
        snapshotEvery: 2,
        seed: 11,
        log: (line) => t.diagnostic(line),
      });
      for (const line of formatReport(report)) t.diagnostic(line);
      assert.equal(report.options.provider, provider);
      assert.equal(report.snapshots, provider === "digitalocean");
      assert.deepEqual(report.cycles.failures, []);
      assert.deepEqual(report.nonRetryableFailures, []);
      assert.equal(report.kills, KILLS);
      assert.deepEqual(report.duplicates, { volumes: [], snapshots: [] });
      assert.deepEqual(report.leaks, { volumes: [], snapshots: [] });
      assert.deepEqual(report.attachmentsLeft, []);
      assert.deepEqual(report.data, { checks: DATA_CHECKS, identical: DATA_CHECKS, failures: [] });
      for (const [kind, count] of Object.entries(report.faultsServed)) {
        assert.ok(count > 0, `the ${provider} face served no ${kind} fault, so the storm tested nothing`);
      }
      assert.ok(report.census.samples > 0, "the census never sampled the cloud during the storm");
      assert.equal(report.passed, true);
    });
  }
});
