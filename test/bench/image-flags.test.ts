import assert from "node:assert/strict";
import { dirname } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { imageNodeFlags, nodeOptionsOf } from "../../bench/harness/image-flags.js";

const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

test("the flags of an unquoted ENV NODE_OPTIONS line are read", () => {
  assert.deepEqual(nodeOptionsOf("FROM x\nENV NODE_OPTIONS=--max-semi-space-size=2\n"), [
    "--max-semi-space-size=2",
  ]);
});

test("a quoted NODE_OPTIONS with several flags gives each flag", () => {
  assert.deepEqual(nodeOptionsOf('ENV NODE_OPTIONS="--max-semi-space-size=2  --max-old-space-size=96"\n'), [
    "--max-semi-space-size=2",
    "--max-old-space-size=96",
  ]);
});

test("a Dockerfile without NODE_OPTIONS gives no flags", () => {
  assert.deepEqual(nodeOptionsOf("FROM x\nENV NODE_ENV=production\n"), []);
});

test("the bench starts the driver with the flags this repository's image sets", async () => {
  assert.deepEqual(await imageNodeFlags(repoRoot), ["--max-semi-space-size=2", "--max-old-space-size=128"]);
});

test("a checkout without a Dockerfile runs without flags", async () => {
  assert.deepEqual(await imageNodeFlags("/nonexistent"), []);
});
