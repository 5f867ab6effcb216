import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { describe, test } from "node:test";
import { requireRoot } from "../helpers/root.js";
import { startDevSystem } from "./harness.js";

/**
 * The Kubernetes CSI conformance suite, when the user has it: `$CSI_SANITY`, else `csi-sanity` on
 * PATH. It is a Go binary this project cannot install, so without it the test skips.
 */
function findCsiSanity(): string | undefined {
  const given = process.env.CSI_SANITY;
  if (given !== undefined && given !== "") return given;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "csi-sanity");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * Specs the suite itself gets wrong. csi-sanity v5.4.0 fails any driver that advertises the
 * GET_SNAPSHOT capability (its list of known capabilities predates it); the hostpath reference
 * driver fails it too.
 */
const SUITE_BUGS = ["ControllerGetCapabilities should return appropriate capabilities"];

/** The last lines of the suite's output: its summary and the failed specs. */
function tail(output: string, lines = 60): string {
  return output.trimEnd().split("\n").slice(-lines).join("\n");
}

describe("csi-sanity against ballast dev", () => {
  test("every spec the suite runs passes, with the attach-limit spec and mutable parameters", async (t) => {
    const binary = findCsiSanity();
    if (binary === undefined) {
      t.skip("csi-sanity not found: set $CSI_SANITY or put it on PATH");
      return;
    }
    if (!requireRoot(t)) return;
    const system = await startDevSystem();
    try {
      const workDir = join(system.stateDir, "csi-sanity");
      await mkdir(workDir, { recursive: true });
      const mutableParameters = join(workDir, "mutable-parameters.yaml");
      await writeFile(mutableParameters, "type: balanced\n");
      const socket = system.endpoint.replace(/^unix:\/\//, "");
      const args = [
        `--csi.endpoint=${socket}`,
        `--csi.mountdir=${join(system.kubeletDir, "csi-sanity-target")}`,
        `--csi.stagingdir=${join(system.kubeletDir, "csi-sanity-staging")}`,
        "--csi.testnodevolumeattachlimit",
        `--csi.testvolumemutableparameters=${mutableParameters}`,
        `--ginkgo.skip=${SUITE_BUGS.join("|")}`,
      ];
      const { code, output } = await run(binary, args);
      assert.equal(code, 0, `csi-sanity failed (exit ${code}):\n${tail(output)}`);
    } finally {
      await system.stop();
    }
  });
});

function run(binary: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      output += String(chunk);
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}
