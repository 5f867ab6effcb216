import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BENCH_FACES, type BenchFace } from "../../bench/harness/faces.js";
import { SMOKE_OPTIONS } from "../../bench/options.js";
import type { BenchReport, ScenarioOutcome } from "../../bench/run-bench.js";
import type { StormPhase } from "../../bench/scenarios/provisioning-storm.js";
import { requireRoot } from "../helpers/root.js";

const run = promisify(execFile);
const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

function figures<T>(outcome: ScenarioOutcome<T> | undefined, name: string): T {
  assert.ok(outcome !== undefined, `the report has no ${name} scenario`);
  assert.equal(outcome.status, "ok", `${name}: ${JSON.stringify(outcome)}`);
  return (outcome as { figures: T }).figures;
}

/** A storm side on `face` without errors, every volume created and attached once, one call each. */
function assertEveryVolumeOnce(side: StormPhase, face: BenchFace): void {
  assert.deepEqual(side.errors, {});
  assert.deepEqual(side.audit, {
    volumes: SMOKE_OPTIONS.volumes,
    duplicates: 0,
    missing: 0,
    attachedOnce: SMOKE_OPTIONS.volumes,
  });
  assert.equal(side.apiCalls[face.createOperation], SMOKE_OPTIONS.volumes);
  assert.equal(side.apiCalls[face.attachOperation], SMOKE_OPTIONS.volumes);
  // Every mutation is answered after a state write; how many shared one depends on timing.
  assert.ok(side.stateWrites.count >= 1, JSON.stringify(side.stateWrites));
}

/**
 * `npm run bench -- --smoke` end to end (real driver and reference-cloud processes, the CLI, the
 * JSON file and the table), so the benchmarks cannot rot. It checks structure and correctness
 * (every figure present, no errors, no duplicates), never speed.
 */
describe("npm run bench --smoke", () => {
  let outDir: string;
  let report: BenchReport;
  let stdout: string;
  let charts: string[];

  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), "ballast-bench-smoke-"));
    const result = await run(
      process.execPath,
      ["--import", "tsx", join(repoRoot, "bench/run.ts"), "--smoke", "--out", outDir],
      { cwd: repoRoot, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    stdout = result.stdout;
    const files = (await readdir(outDir)).filter((file) => file.endsWith(".json"));
    assert.equal(files.length, 1, `expected one result file, found ${files.join(", ")}`);
    const file = files[0] as string;
    report = JSON.parse(await readFile(join(outDir, file), "utf8")) as BenchReport;
    charts = (await readdir(join(outDir, file.replace(/\.json$/, "")))).sort();
  });

  after(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  test("writes one JSON result and prints a table section per scenario", () => {
    assert.deepEqual(report.options.scenarios, SMOKE_OPTIONS.scenarios);
    for (const title of [
      "1. Provisioning storm",
      "2. API economy",
      "3. Added latency",
      "4. Raw gRPC",
      "5. Memory",
      "6. Node path",
      "7. ballast node against the bare grpc-js floor",
    ]) {
      assert.match(stdout, new RegExp(`## ${title.replace(".", "\\.")}`));
    }
    assert.ok(report.machine.cpus > 0);
  });

  test("prints issue 15's verdicts: judged where the run is the kind the target names, and why not elsewhere", () => {
    const notJudged = `not judged: a storm of ${SMOKE_OPTIONS.volumes} volumes; the target is read on one of 1000`;
    assert.match(
      stdout,
      new RegExp(`- storm wall time, driver / direct: [0-9.]+ \\(target <= 1\\.15\\): ${notJudged}`),
    );
    assert.match(
      stdout,
      new RegExp(`- driver RSS high-water mark in the storm, MiB: [0-9.]+ \\(target <= 128\\): ${notJudged}`),
    );
    for (const rpc of ["CreateVolume", "ControllerGetVolume"]) {
      assert.match(
        stdout,
        new RegExp(
          `- ${rpc} added per pair at p99, ms: [0-9.-]+ \\(target <= 2\\): (met|NOT met); the direct call against itself: [0-9.-]+ ms at p99 per pair\n`,
        ),
      );
    }
  });

  test("storm: every volume created and published once on both sides, no errors, no duplicates", () => {
    const storm = figures(report.scenarios.storm, "storm");
    for (const side of [storm.direct, storm.driver]) {
      assertEveryVolumeOnce(side, BENCH_FACES.ballast);
      assert.equal(side.createVolume.count, SMOKE_OPTIONS.volumes);
      assert.equal(side.publishVolume.count, SMOKE_OPTIONS.volumes);
    }
    assert.ok(storm.wallRatio !== null && storm.wallRatio > 0);
  });

  test("economy: every waiting strategy counted its creates and attaches without errors", () => {
    const economy = figures(report.scenarios.economy, "economy");
    assert.equal(economy.warmUp.volumes, SMOKE_OPTIONS.economyConcurrency);
    assert.equal(economy.warmUp.calls.createVolume, SMOKE_OPTIONS.economyConcurrency);
    assert.equal(economy.warmUp.calls.attachVolume, SMOKE_OPTIONS.economyConcurrency);
    assert.equal(economy.strategies.length, 5);
    for (const strategy of economy.strategies) {
      assert.deepEqual(strategy.create.errors, {}, strategy.strategy);
      assert.deepEqual(strategy.attach.errors, {}, strategy.strategy);
      assert.equal(strategy.create.calls.createVolume, SMOKE_OPTIONS.economyVolumes, strategy.strategy);
      assert.equal(strategy.attach.calls.attachVolume, SMOKE_OPTIONS.economyVolumes, strategy.strategy);
      assert.ok((strategy.create.callsPerVolume ?? 0) >= 1, strategy.strategy);
    }
    assert.deepEqual(
      economy.targets.map((target) => [target.phase, target.callsPerVolume]),
      [["create", 2]],
    );
  });

  test("added latency: paired samples of CreateVolume and ControllerGetVolume, of the floor in their place and of the direct call against itself", () => {
    const latency = figures(report.scenarios.latency, "latency");
    const samples = SMOKE_OPTIONS.latencySamples;
    assert.deepEqual(
      latency.rpcs.map((rpc) => [
        rpc.rpc,
        rpc.driver.count,
        rpc.direct.count,
        rpc.added.count,
        rpc.floor.count,
        rpc.control.count,
      ]),
      [
        ["CreateVolume", samples, samples, samples, samples, samples],
        ["ControllerGetVolume", samples, samples, samples, samples, samples],
      ],
    );
  });

  test("raw gRPC: NodeGetCapabilities and Probe answered without errors", () => {
    const grpc = figures(report.scenarios.grpc, "grpc");
    assert.deepEqual(
      grpc.rpcs.map((rpc) => rpc.rpc),
      ["NodeGetCapabilities", "Probe"],
    );
    for (const rpc of grpc.rpcs) {
      assert.deepEqual(rpc.errors, {}, rpc.rpc);
      assert.ok(rpc.calls > 0 && rpc.latency.count === rpc.calls, rpc.rpc);
    }
  });

  test("memory: idle and peak readings of the driver process", () => {
    const memory = figures(report.scenarios.memory, "memory");
    assert.ok(memory.idle.rssBytes > 0 && memory.idle.heapUsedBytes > 0);
    assert.ok(memory.peak.samples > 0);
    assert.ok(memory.peak.rssHighWaterBytes >= memory.idle.rssBytes);
  });

  test("node path: driver and bare commands timed on loop devices, no mounts left behind", (t) => {
    if (!requireRoot(t)) return;
    const node = figures(report.scenarios.node, "node");
    assert.equal(node.driver.count, SMOKE_OPTIONS.nodeIterations);
    assert.equal(node.bare.count, SMOKE_OPTIONS.nodeIterations);
    assert.equal(node.rpcs.NodeStageVolume.count, SMOKE_OPTIONS.nodeIterations);
    assert.equal(node.rpcs.NodeUnstageVolume.count, SMOKE_OPTIONS.nodeIterations);
    assert.deepEqual(node.leftoverMounts, []);
    assert.match(stdout, /- node path, driver \/ bare \(p50\): [0-9.]+ \(target <= 1\.5\): (met|NOT met)\n/);
  });

  test("node vs floor: both servers answered the same bytes in every round, memory read at each stage", () => {
    const floor = figures(report.scenarios.floor, "floor");
    assert.deepEqual(
      floor.sides.map((side) => side.label),
      ["bare grpc-js", "ballast node"],
    );
    for (const side of floor.sides) {
      assert.deepEqual(side.errors, {}, side.label);
      assert.equal(side.roundCallsPerSecond.length, SMOKE_OPTIONS.floorRounds, side.label);
      assert.ok(side.calls > 0 && side.latency.count === side.calls, side.label);
      assert.ok(
        side.memory.idle.rssAnonBytes > 0 && side.memory.idle.rssBytes > side.memory.idle.rssAnonBytes,
      );
      assert.ok(side.memory.highWaterRssBytes >= side.memory.afterLoad.rssBytes, side.label);
    }
    const [bare, node] = floor.sides;
    assert.ok((bare?.responseBytes ?? 0) > 5);
    assert.equal(node?.responseBytes, bare?.responseBytes);
    assert.deepEqual(
      floor.targets.map((target) => target.figure),
      ["calls/s, node / floor", "p99, node / floor", "RSS idle (settled), MiB", "RSS after load, MiB"],
    );
  });

  for (const provider of ["digitalocean", "hetzner"] as const) {
    const face = BENCH_FACES[provider];

    test(`${provider} face storm: every volume created and attached once by the adapter and the driver, no errors, no duplicates`, () => {
      const storm = figures(report.faces[provider]?.storm, `storm on ${provider}`);
      assert.equal(storm.provider, provider);
      assert.ok(
        storm.instances * (face.fixedAttachLimit ?? 0) >= SMOKE_OPTIONS.volumes,
        String(storm.instances),
      );
      for (const side of [storm.direct, storm.driver]) assertEveryVolumeOnce(side, face);
      assert.match(stdout, new RegExp(`## 1\\. Provisioning storm on the ${provider} face`));
    });

    test(`${provider} face economy: calls per create and per attach counted from the face's request log, driver and adapter`, () => {
      const economy = figures(report.faces[provider]?.economy, `economy on ${provider}`);
      assert.equal(economy.warmUp.calls[face.createOperation], SMOKE_OPTIONS.economyConcurrency);
      assert.equal(economy.warmUp.calls[face.attachOperation], SMOKE_OPTIONS.economyConcurrency);
      assert.deepEqual(
        economy.strategies.map((strategy) => strategy.strategy),
        ["driver", "direct (provider adapter)"],
      );
      for (const strategy of economy.strategies) {
        assert.deepEqual(strategy.create.errors, {}, strategy.strategy);
        assert.deepEqual(strategy.attach.errors, {}, strategy.strategy);
        assert.equal(strategy.create.calls[face.createOperation], SMOKE_OPTIONS.economyVolumes);
        assert.equal(strategy.attach.calls[face.attachOperation], SMOKE_OPTIONS.economyVolumes);
        // Only the attach call itself (its action is polled) is in the attach phase.
        assert.equal(strategy.attach.calls[face.createOperation], undefined, strategy.strategy);
        assert.ok((strategy.create.callsPerVolume ?? 0) >= 1, strategy.strategy);
        assert.ok((strategy.attach.callsPerVolume ?? 0) >= 1, strategy.strategy);
        assert.equal(strategy.catalogReads, 0, strategy.strategy);
      }
      assert.deepEqual(
        economy.targets.map((target) => [target.phase, target.callsPerVolume]),
        Object.entries(face.targets),
      );
      assert.match(stdout, new RegExp(`\\| ${provider} +\\| [0-9.]+ / [0-9.]+ +\\| [0-9.]+ / [0-9.]+ +\\|`));
    });
  }

  test("digitalocean face: a create is the one POST (DigitalOcean answers it once the volume exists)", () => {
    const economy = figures(report.faces.digitalocean?.economy, "economy on digitalocean");
    for (const strategy of economy.strategies) {
      assert.deepEqual(strategy.create.calls, { volumes_create: SMOKE_OPTIONS.economyVolumes });
      assert.equal(strategy.create.callsPerVolume, 1);
    }
    assert.equal(economy.targets[0]?.met, true);
  });

  test("charts: the latency distributions and the memory series as SVG next to the result", () => {
    assert.deepEqual(charts, [
      "floor-latency.svg",
      "floor-memory.svg",
      "latency-ControllerGetVolume.svg",
      "latency-CreateVolume.svg",
      "storm-memory.svg",
    ]);
  });
});
