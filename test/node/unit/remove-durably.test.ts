import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { realHostFs } from "../../../src/node/host-fs.js";

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ballast-remove-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("removeDurably removes the file and leaves the rest of its directory", async (t) => {
  const dir = await scratch(t);
  await writeFile(join(dir, "vol-1.format.json"), "{}\n");
  await writeFile(join(dir, "vol-2.format.json"), "{}\n");
  await realHostFs.removeDurably(join(dir, "vol-1.format.json"));
  assert.deepEqual(await readdir(dir), ["vol-2.format.json"]);
});

test("removeDurably of a file that is not there answers without an error", async (t) => {
  const dir = await scratch(t);
  await realHostFs.removeDurably(join(dir, "vol-1.format.json"));
  assert.deepEqual(await readdir(dir), []);
});
