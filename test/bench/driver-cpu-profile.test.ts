import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { withEnvironment } from "../../bench/harness/environment.js";
import { parseBenchArgs } from "../../bench/options.js";
import { smallEnvironment } from "./small-environment.js";

describe("bench --driver-cpu-prof", () => {
  test("is off unless given", () => {
    assert.equal(parseBenchArgs([], "/tmp/out")?.driverCpuProfileDir, undefined);
  });

  test("a relative directory is taken from where the bench was started", () => {
    assert.equal(
      parseBenchArgs(["--driver-cpu-prof", "profiles"], "/tmp/out")?.driverCpuProfileDir,
      resolve("profiles"),
    );
  });

  test("a driver started with it leaves one V8 CPU profile there when it stops", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "ballast-bench-cpu-prof-"));
    const profiles = join(workDir, "profiles");
    try {
      await withEnvironment(
        { ...smallEnvironment(workDir), driverCpuProfileDir: profiles },
        "cpu-prof",
        async (environment) => {
          const driver = await environment.startDriver("driver");
          await driver.csi.identity.probe({}, { timeoutMs: 5_000 });
        },
      );
      const files = await readdir(profiles);
      assert.equal(files.length, 1, files.join(", "));
      assert.match(files[0] as string, /\.cpuprofile$/);
      const profile = JSON.parse(await readFile(join(profiles, files[0] as string), "utf8")) as {
        nodes: unknown[];
        samples: unknown[];
      };
      assert.ok(profile.nodes.length > 0 && profile.samples.length > 0);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
