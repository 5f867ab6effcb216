import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { chartDir } from "./chart.js";

const generator = createRequire(import.meta.url).resolve("@bitnami/readme-generator-for-helm/bin/index.js");

test("the chart README's parameters table is what npm run docs:values generates from values.yaml", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "ballast-chart-readme-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const readme = path.join(dir, "README.md");
  copyFileSync(path.join(chartDir, "README.md"), readme);
  // The generator exits non-zero, naming the key, when a value has no annotation.
  await promisify(execFile)(process.execPath, [
    generator,
    "--values",
    path.join(chartDir, "values.yaml"),
    "--readme",
    readme,
  ]);
  assert.equal(
    readFileSync(path.join(chartDir, "README.md"), "utf8"),
    readFileSync(readme, "utf8"),
    "deploy/helm/ballast-csi/README.md is stale: run npm run docs:values",
  );
});
