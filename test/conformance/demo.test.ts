import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readAnnouncement } from "../../src/demo/dev-process.js";
import { formatStep } from "../../src/demo/progress.js";
import { runDemo } from "../../src/demo/run-demo.js";
import { TOUR_STEPS } from "../../src/demo/volume-tour.js";
import { requireRoot } from "../helpers/root.js";
import { useDevSystem } from "./harness.js";

describe("ballast demo against a running dev system", () => {
  const system = useDevSystem();

  test("walks one volume through its life, prints one line per step, and leaves nothing in the cloud", async (t) => {
    if (!requireRoot(t)) return;
    const before = await system().cloud.inventory();
    const lines: string[] = [];
    const passed = await runDemo({
      endpoint: system().endpoint,
      tier: "standard",
      modifyTo: "balanced",
      fsType: "xfs",
      sizeGiB: 1,
      expandToGiB: 2,
      rpcTimeoutMs: 120_000,
      write: (line) => lines.push(line),
    });
    assert.equal(passed, true, lines.join("\n"));
    const stepLines = lines.filter((line) => /^\[\s*\d+\/\d+\]/.test(line));
    assert.equal(stepLines.length, TOUR_STEPS);
    assert.ok(
      stepLines.every((line) => / ok /.test(line)),
      stepLines.join("\n"),
    );
    assert.match(lines.at(-1) ?? "", /^demo passed: 14\/14 steps/);
    const after = await system().cloud.inventory();
    assert.deepEqual(
      after.volumes.map((volume) => volume.id),
      before.volumes.map((volume) => volume.id),
    );
    assert.deepEqual(
      after.snapshots.map((snapshot) => snapshot.id),
      before.snapshots.map((snapshot) => snapshot.id),
    );
  });

  test("with --group-snapshot, snapshots two volumes together and restores both members with their checksums", async (t) => {
    if (!requireRoot(t)) return;
    const before = await system().cloud.inventory();
    const lines: string[] = [];
    const passed = await runDemo({
      endpoint: system().endpoint,
      tier: "standard",
      modifyTo: "balanced",
      fsType: "xfs",
      sizeGiB: 1,
      expandToGiB: 2,
      rpcTimeoutMs: 120_000,
      groupSnapshot: true,
      write: (line) => lines.push(line),
    });
    assert.equal(passed, true, lines.join("\n"));
    const groupLine = lines.find((line) => /\] group snapshot\s/.test(line)) ?? "";
    assert.match(groupLine, / ok .*sg-[0-9a-f]{16} of 2 volumes .*both members restored, checksums match$/);
    assert.match(lines.at(-1) ?? "", /^demo passed: 15\/15 steps/);
    const after = await system().cloud.inventory();
    assert.deepEqual(
      after.snapshots.map((snapshot) => snapshot.id),
      before.snapshots.map((snapshot) => snapshot.id),
    );
  });

  test("fails with exit status false and a FAILED line when a step cannot succeed", async (t) => {
    if (!requireRoot(t)) return;
    const lines: string[] = [];
    const passed = await runDemo({
      endpoint: system().endpoint,
      tier: "no-such-tier",
      modifyTo: "balanced",
      fsType: "xfs",
      sizeGiB: 1,
      expandToGiB: 2,
      rpcTimeoutMs: 60_000,
      write: (line) => lines.push(line),
    });
    assert.equal(passed, false);
    assert.ok(
      lines.some((line) => /\] create\s+FAILED/.test(line)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((line) => /\] nothing left\s+ok/.test(line)),
      lines.join("\n"),
    );
    assert.match(lines.at(-1) ?? "", /^demo FAILED after \d+\/14 steps/);
  });
});

describe("demo against an endpoint where nothing listens", () => {
  test("refuses before any step, saying what to start instead", async () => {
    const endpoint = "unix:///nonexistent-ballast-dir/csi.sock";
    const lines: string[] = [];
    await assert.rejects(
      runDemo({
        endpoint,
        tier: "standard",
        modifyTo: "balanced",
        fsType: "xfs",
        sizeGiB: 1,
        expandToGiB: 2,
        rpcTimeoutMs: 60_000,
        write: (line) => lines.push(line),
      }),
      {
        message: `nothing is listening at ${endpoint}: start a driver there (\`npm start\` runs one), or drop --endpoint and the demo starts its own`,
      },
    );
    assert.deepEqual(lines, []);
  });
});

describe("demo output", () => {
  test("a step line shows the counter, the name, the verdict, the duration and the detail", () => {
    const line = formatStep(
      { index: 3, name: "create", ok: true, durationMs: 361.4, detail: "vol-1, 1 GiB" },
      14,
    );
    assert.equal(line, "[ 3/14] create             ok       361 ms  vol-1, 1 GiB");
  });

  test("the lines `ballast dev` prints are read into endpoint, cloud URL, token and metrics URL", () => {
    const announcement = readAnnouncement([
      "socket: /tmp/state/csi.sock",
      "cloud: http://127.0.0.1:40123",
      "cloud token: secret-token",
      "metrics: http://127.0.0.1:40124/metrics",
      "ready",
    ]);
    assert.deepEqual(announcement, {
      endpoint: "unix:///tmp/state/csi.sock",
      cloudUrl: "http://127.0.0.1:40123",
      cloudToken: "secret-token",
      metricsUrl: "http://127.0.0.1:40124/metrics",
    });
  });
});

describe("ballast demo on the other clouds' faces of the reference cloud", () => {
  const demoOn = async (cloudProvider: string) => {
    const lines: string[] = [];
    const passed = await runDemo({
      cloudProvider,
      tier: "standard",
      modifyTo: "balanced",
      fsType: "xfs",
      sizeGiB: 1,
      expandToGiB: 2,
      rpcTimeoutMs: 120_000,
      write: (line) => lines.push(line),
    });
    assert.equal(passed, true, lines.join("\n"));
    const step = (name: string) => lines.find((line) => new RegExp(`\\] ${name}\\s`).test(line)) ?? "";
    return { lines, step };
  };

  test("digitalocean: restores and clones (from a snapshot) with matching checksums; no tier to change", async (t) => {
    if (!requireRoot(t)) return;
    const { lines, step } = await demoOn("digitalocean");
    assert.match(step("attach"), /as \/dev\/disk\/by-id\/scsi-0DO_Volume_ballast-demo-[0-9a-f]{8}-data$/);
    assert.match(step("restore"), / ok .*checksum matches$/);
    assert.match(step("clone"), / ok .*checksum matches$/);
    assert.match(step("modify tier"), /skipped: the driver does not advertise MODIFY_VOLUME/);
    assert.match(lines.at(-1) ?? "", /^demo passed: 14\/14 steps/);
  });

  test("hetzner: no snapshot, restore or clone, each skipped saying why; grows from its 10 GB minimum", async (t) => {
    if (!requireRoot(t)) return;
    const { lines, step } = await demoOn("hetzner");
    assert.match(step("attach"), /as \/dev\/disk\/by-id\/scsi-0HC_Volume_[1-9][0-9]*$/);
    for (const name of ["snapshot", "restore"]) {
      assert.match(step(name), /skipped: the driver does not advertise CREATE_DELETE_SNAPSHOT/);
    }
    assert.match(step("clone"), /skipped: the driver does not advertise CLONE_VOLUME/);
    assert.match(step("expand online"), / ok .*10 GiB → 11 GiB/);
    assert.match(lines.at(-1) ?? "", /^demo passed: 14\/14 steps/);
  });
});
