import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { resolveConfig } from "../../src/cloud-sim/config.js";
import { type ReferenceCloud, startReferenceCloud } from "../../src/cloud-sim/index.js";
import type { components } from "../../src/generated/block-storage.v1.js";
import { requireRoot } from "../helpers/root.js";
import { sharedContract, uniqueName, wrap } from "./harness.js";

type Schemas = components["schemas"];
const run = promisify(execFile);

async function loopsOver(file: string): Promise<string[]> {
  const { stdout } = await run("losetup", ["--associated", file]);
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.slice(0, line.indexOf(":")));
}

test("a relative data dir is used as the absolute directory it names from the working directory", () => {
  const config = resolveConfig({ dataDir: join("cloud", "data") });
  assert.equal(config.dataDir, join(process.cwd(), "cloud", "data"));
});

test("a volume detached from a cloud started with a relative data dir leaves no loop device behind", async (t) => {
  if (!requireRoot(t)) return;
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-relative-"));
  const image = (volumeId: string) => join(dir, "data", "volumes", `${volumeId}.img`);
  const volumeIds: string[] = [];
  let cloud: ReferenceCloud | undefined;
  t.after(async () => {
    await cloud?.close({ detachLocalDevices: true });
    // A device the cloud failed to detach must not outlive the test either.
    for (const volumeId of volumeIds) {
      for (const device of await loopsOver(image(volumeId))) await run("losetup", ["--detach", device]);
    }
    await rm(dir, { recursive: true, force: true });
  });
  cloud = await startReferenceCloud(
    {
      dataDir: relative(process.cwd(), join(dir, "data")),
      byIdDir: join(dir, "by-id"),
      operationLatencyMs: 10,
    },
    { contract: sharedContract() },
  );
  const c = wrap(cloud, dir);
  const instances = await c.call<Schemas["InstanceList"]>("GET", `/v1/instances?name=${hostname()}`);
  const instanceId = instances.body.items[0]?.id as string;
  const volume = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
  volumeIds.push(volume.resourceId);
  await c.done("POST", `/v1/volumes/${volume.resourceId}/attachments`, { instanceId });
  // Seen while attached, so "none after detach" is not just a wrong file name.
  assert.equal((await loopsOver(image(volume.resourceId))).length, 1);
  await c.done("DELETE", `/v1/volumes/${volume.resourceId}/attachments/${instanceId}`);
  assert.deepEqual(await loopsOver(image(volume.resourceId)), []);
});
