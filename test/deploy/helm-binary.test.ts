import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { chartDir, ciValueFiles } from "./chart.js";

const run = promisify(execFile);

/** The helm binary: $HELM, else the first `helm` on PATH; undefined when there is none. */
function findHelm(): string | undefined {
  const candidates = process.env.HELM
    ? [process.env.HELM]
    : (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "helm"));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const helm = findHelm();
const skip =
  helm === undefined
    ? "no helm binary ($HELM or helm on PATH): the real helm lint/template step skips"
    : false;

describe("the chart under the real helm", { skip }, () => {
  for (const file of ciValueFiles()) {
    test(`helm lint and helm template accept ci/${file}`, async () => {
      const values = path.join(chartDir, "ci", file);
      await run(helm ?? "helm", ["lint", chartDir, "-f", values]);
      const { stdout } = await run(helm ?? "helm", ["template", "t", chartDir, "-f", values], {
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.match(stdout, /^kind: CSIDriver$/m);
    });
  }
});
