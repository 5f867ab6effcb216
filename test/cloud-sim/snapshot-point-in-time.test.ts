import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { components } from "../../src/generated/block-storage.v1.js";
import { requireRoot } from "../helpers/root.js";
import { startTestCloud, type TestCloud, uniqueName } from "./harness.js";

type Schemas = components["schemas"];
const run = promisify(execFile);

/**
 * Writes 1, 2, 3, … to `first`, then the same number to `second`, each write synced before the
 * next begins, until it is killed. At any moment `second` holds `first`'s number or the one before
 * it; a snapshot of one point in time must show the same. Each number overwrites the last in place
 * (same width, one write, no truncation), so a freeze between two system calls never catches a file
 * empty.
 */
const WRITER = `
const { openSync, writeSync, fsyncSync } = require("node:fs");
const [first, second] = process.argv.slice(1).map((path) => openSync(path, "w+"));
const put = (fd, n) => { writeSync(fd, String(n).padStart(12, "0"), 0); fsyncSync(fd); };
for (let n = 1; ; n++) { put(first, n); put(second, n); if (n === 50) process.stdout.write("running\\n"); }
`;

async function localInstance(c: TestCloud): Promise<string> {
  const found = await c.call<Schemas["InstanceList"]>("GET", `/v1/instances?name=${hostname()}`);
  const id = found.body.items[0]?.id;
  assert.ok(id !== undefined, "the local instance is listed under the host name");
  return id;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

/** A file of an ext4 image, read without mounting it. */
async function fileInImage(image: string, path: string): Promise<string> {
  return (await run("debugfs", ["-R", `cat ${path}`, image])).stdout;
}

test("a snapshot of a mounted volume taken while a writer runs holds one point in time", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instanceId = await localInstance(c);
  const dir = join(c.dir, "mnt");
  let mounted = false;
  let writer: ChildProcess | undefined;
  try {
    const volume = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1a",
      sizeGiB: 1,
    });
    const attached = await c.done("POST", `/v1/volumes/${volume.resourceId}/attachments`, { instanceId });
    const device = (await run("readlink", ["-f", attached.attachment?.byIdPath ?? ""])).stdout.trim();
    await run("mkfs.ext4", ["-q", "-F", device]);
    await mkdir(dir, { recursive: true });
    await run("mount", [device, dir]);
    mounted = true;

    writer = spawn(process.execPath, ["-e", WRITER, join(dir, "first"), join(dir, "second")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const output = writer.stdout;
    await new Promise<void>((resolve) => output?.once("data", () => resolve()));
    const operation = await c.done("POST", "/v1/snapshots", {
      name: uniqueName("snap"),
      sourceVolumeId: volume.resourceId,
    });
    await stop(writer);

    const image = join(c.dir, "data", "snapshots", `${operation.resourceId}.img`);
    const first = Number(await fileInImage(image, "/first"));
    const second = Number(await fileInImage(image, "/second"));
    assert.ok(first >= 50, `the snapshot holds ${first} in the first file`);
    assert.ok(
      second === first || second === first - 1,
      `the snapshot holds ${first} and ${second}: not one point in time`,
    );
  } finally {
    if (writer !== undefined) await stop(writer);
    if (mounted) await run("umount", [dir]);
  }
});
