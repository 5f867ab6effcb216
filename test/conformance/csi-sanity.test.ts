import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { type TestContext, test } from "node:test";
import { requireRoot } from "../helpers/root.js";
import { advertised } from "./capabilities.js";
import { mutableParametersFor, parametersYaml, sanityArgs, suiteBugsFor } from "./csi-sanity-args.js";
import { type FaceName, forEachFace } from "./faces.js";
import { volumeSizes } from "./fixtures.js";
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

/** The last lines of the suite's output: its summary and the failed specs. */
function tail(output: string, lines = 60): string {
  return output.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * One csi-sanity run against `ballast dev` on one face. Sizes come from the face's volume types
 * (Hetzner's 10 GB minimum), mutable parameters only where MODIFY_VOLUME is advertised; the
 * suite itself skips the specs of every capability the driver does not advertise.
 */
async function sanityOn(t: TestContext, face: FaceName, binary: string): Promise<void> {
  if (!requireRoot(t)) return;
  const system = await startDevSystem({ face });
  try {
    const workDir = join(system.stateDir, "csi-sanity");
    await mkdir(workDir, { recursive: true });
    const capabilities = await advertised(system);
    const sizes = await volumeSizes(system);
    const mutable = mutableParametersFor(
      capabilities,
      await system.view.volumeTypes(),
      system.facts.defaultVolumeType,
      sizes.smallest,
    );
    const mutableParametersFile = mutable && join(workDir, "mutable-parameters.yaml");
    if (mutable !== undefined && mutableParametersFile !== undefined) {
      await writeFile(mutableParametersFile, parametersYaml(mutable));
    }
    const args = sanityArgs({
      socket: system.endpoint.replace(/^unix:\/\//, ""),
      kubeletDir: system.kubeletDir,
      volumeBytes: sizes.smallest,
      expandBytes: sizes.of(1),
      mutableParametersFile,
      skip: suiteBugsFor(capabilities),
    });
    const { code, output } = await run(binary, args);
    assert.equal(code, 0, `csi-sanity failed on the ${face} face (exit ${code}):\n${tail(output)}`);
  } finally {
    await system.stop();
  }
}

const binary = findCsiSanity();
if (binary === undefined) {
  test("csi-sanity against ballast dev on every face", (t) => {
    t.skip("csi-sanity not found: set $CSI_SANITY or put it on PATH");
  });
} else {
  forEachFace("csi-sanity against ballast dev", (face) => {
    test("every spec the suite runs passes; specs of unadvertised capabilities are the suite's to skip", (t) =>
      sanityOn(t, face, binary));
  });
}

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
