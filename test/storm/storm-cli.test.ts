import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const RUN = fileURLToPath(new URL("./run.ts", import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run storm`'s entry with `args`; every case here exits before a storm starts. */
function storm(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", RUN, ...args],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("npm run storm flags", { concurrency: true }, () => {
  test("--help prints the usage with every flag and its default, and exits 0", async () => {
    const result = await storm(["--help"]);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /^Usage: npm run storm -- \[flags\]\n/);
    for (const flag of [
      "--cloud-provider <name>",
      "--workers <n>",
      "--volumes <n>",
      "--kills <n>",
      "--error-rate <share>",
      "--data-checks <n>",
      "--snapshot-every <n>",
      "--seed <n>",
      "--help",
    ]) {
      assert.equal(result.stdout.includes(flag), true, flag);
    }
  });

  test("an unknown flag prints one line and exits 2", async () => {
    const result = await storm(["--wrokers", "5"]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "storm: unknown flag --wrokers (npm run storm -- --help lists the flags)\n");
  });

  test("a flag without its value prints one line and exits 2", async () => {
    const result = await storm(["--workers"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "storm: --workers needs a value (npm run storm -- --help lists the flags)\n");
  });

  test("a stray positional argument prints one line and exits 2", async () => {
    const result = await storm(["50"]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      'storm: unexpected argument "50" (npm run storm -- --help lists the flags)\n',
    );
  });

  test("an error rate above 1 prints one line and exits 2", async () => {
    const result = await storm(["--error-rate", "20"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "storm: --error-rate: 20 is more than 1 (it is a share, e.g. 0.2)\n");
  });

  test("an unknown cloud provider prints one line naming the choices and exits 2", async () => {
    const result = await storm(["--cloud-provider", "aws"]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      'storm: --cloud-provider: "aws" is not one of ballast, digitalocean, hetzner\n',
    );
  });

  test("a value that is not a number prints one line and exits 2", async () => {
    const result = await storm(["--kills", "many"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'storm: --kills: "many" is not a non-negative number\n');
  });
});
