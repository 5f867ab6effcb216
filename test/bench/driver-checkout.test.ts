import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { withEnvironment } from "../../bench/harness/environment.js";
import { parseBenchArgs, UsageError } from "../../bench/options.js";
import { formatReport } from "../../bench/report-table.js";
import { benchReport } from "./report-fixture.js";
import { smallEnvironment } from "./small-environment.js";

const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** A second checkout made of this one's build, with a Dockerfile of its own node flags. */
async function otherCheckout(dir: string, nodeOptions: string): Promise<string> {
  const checkout = join(dir, "other-checkout");
  await mkdir(checkout);
  for (const entry of ["bin", "dist", "node_modules", "package.json"]) {
    await symlink(join(repoRoot, entry), join(checkout, entry));
  }
  await writeFile(join(checkout, "Dockerfile"), `FROM node:24\nENV NODE_OPTIONS="${nodeOptions}"\n`);
  return checkout;
}

describe("bench --driver-checkout", () => {
  test("is this checkout's driver unless given", () => {
    assert.equal(parseBenchArgs([], "/tmp/out")?.driverCheckout, undefined);
  });

  test("a relative directory is taken from where the bench was started", () => {
    assert.equal(parseBenchArgs(["--driver-checkout", "."], "/tmp/out")?.driverCheckout, resolve("."));
  });

  test("a directory without a built ballast is refused, naming the flag, the directory and the missing file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ballast-bench-checkout-"));
    try {
      await mkdir(join(dir, "bin"));
      await writeFile(join(dir, "bin", "ballast"), "");
      assert.throws(
        () => parseBenchArgs(["--driver-checkout", dir], "/tmp/out"),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message ===
            `--driver-checkout: "${dir}" has no dist/cli/main.js; give a ballast checkout after npm ci (which builds dist/)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("--floor-baseline is checked the same way", () => {
    assert.throws(
      () => parseBenchArgs(["--floor-baseline", "/nonexistent/checkout"], "/tmp/out"),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message ===
          '--floor-baseline: "/nonexistent/checkout" has no bin/ballast; give a ballast checkout after npm ci (which builds dist/)',
    );
  });

  test("the drivers run the other checkout's bin/ballast with its Dockerfile's node flags", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "ballast-bench-checkout-"));
    try {
      const checkout = await otherCheckout(workDir, "--max-old-space-size=96");
      await withEnvironment(
        { ...smallEnvironment(workDir), driverRoot: checkout },
        "checkout",
        async (environment) => {
          const driver = await environment.startDriver("driver");
          await driver.csi.identity.probe({}, { timeoutMs: 5_000 });
          const argv = (await readFile(`/proc/${driver.pid}/cmdline`, "utf8")).split("\0");
          assert.ok(argv.includes(join(checkout, "bin/ballast")), argv.join(" "));
          assert.ok(argv.includes("--max-old-space-size=96"), argv.join(" "));
          assert.ok(!argv.includes("--max-semi-space-size=2"), argv.join(" "));
          assert.ok(!argv.includes("--cloud-provider"), argv.join(" "));
        },
      );
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  test("the report names the driver's checkout under its first line", () => {
    const report = benchReport({ options: { driverCheckout: "/work/before" } });
    const lines = formatReport(report).split("\n");
    assert.equal(lines[1], "driver (scenarios 1-6): bin/ballast of /work/before");
  });
});
