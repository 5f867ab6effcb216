import assert from "node:assert/strict";
import { test } from "node:test";
import { requireRoot } from "../helpers/root.js";
import { formatReport, runStorm } from "./storm.js";

const KILLS = 3;
const DATA_CHECKS = 2;

test("a CI-sized storm with 20 % cloud faults and 3 controller SIGKILLs loses, leaks and duplicates nothing", async (t) => {
  if (!requireRoot(t)) return;
  const report = await runStorm({
    workers: 8,
    volumes: 24,
    kills: KILLS,
    errorRate: 0.2,
    dataChecks: DATA_CHECKS,
    snapshotEvery: 2,
    seed: 7,
    log: (line) => t.diagnostic(line),
  });
  for (const line of formatReport(report)) t.diagnostic(line);
  assert.deepEqual(report.cycles.failures, []);
  assert.deepEqual(report.nonRetryableFailures, []);
  assert.equal(report.kills, KILLS);
  assert.deepEqual(report.duplicates, { volumes: [], snapshots: [] });
  assert.deepEqual(report.leaks, { volumes: [], snapshots: [] });
  assert.deepEqual(report.attachmentsLeft, []);
  assert.equal(report.data.identical, DATA_CHECKS);
  // Without these the storm could pass in calm weather: faults that never fired, a census never taken.
  for (const [kind, count] of Object.entries(report.faultsServed)) {
    assert.ok(count > 0, `the cloud served no ${kind} fault, so the storm tested nothing`);
  }
  assert.ok(report.census.samples > 0, "the census never sampled the cloud during the storm");
  assert.equal(report.passed, true);
});
