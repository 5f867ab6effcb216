import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
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
 * Writes 1, 2, 3, … to `counter` on the first filesystem, then the same number on the second, each
 * write synced before the next begins, until it is killed. At any moment the second file holds the
 * first's number or the one before it; a group snapshot of one point in time must show the same.
 * Each number overwrites the last in place (same width, one write, no truncation), so a freeze
 * between two system calls can never catch a file empty.
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

/** A new volume attached here, formatted ext4 and mounted under `dir`. */
async function mountedVolume(c: TestCloud, instanceId: string, dir: string): Promise<string> {
  const created = await c.done("POST", "/v1/volumes", {
    name: uniqueName("vol"),
    zone: "ref-1a",
    sizeGiB: 1,
  });
  const attached = await c.done("POST", `/v1/volumes/${created.resourceId}/attachments`, { instanceId });
  const device = (await run("readlink", ["-f", attached.attachment?.byIdPath ?? ""])).stdout.trim();
  await run("mkfs.ext4", ["-q", "-F", device]);
  await mkdir(dir, { recursive: true });
  await run("mount", [device, dir]);
  return created.resourceId;
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

test("a group snapshot taken while a writer runs holds one point in time on every member", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instanceId = await localInstance(c);
  const firstDir = join(c.dir, "mnt-first");
  const secondDir = join(c.dir, "mnt-second");
  const mounted: string[] = [];
  let writer: ChildProcess | undefined;
  try {
    const first = await mountedVolume(c, instanceId, firstDir);
    mounted.push(firstDir);
    const second = await mountedVolume(c, instanceId, secondDir);
    mounted.push(secondDir);
    for (const dir of mounted) {
      await writeFile(join(dir, "before"), "written before the group");
      await run("sync", ["-f", join(dir, "before")]);
    }

    writer = spawn(process.execPath, ["-e", WRITER, join(firstDir, "counter"), join(secondDir, "counter")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const output = writer.stdout;
    await new Promise<void>((resolve) => output?.once("data", () => resolve()));
    const operation = await c.done("POST", "/v1/snapshot-groups", {
      name: uniqueName("group"),
      sourceVolumeIds: [first, second],
    });
    await stop(writer);

    const members = (operation.snapshotGroup as Schemas["SnapshotGroup"]).snapshots;
    const images = members.map((member) => join(c.dir, "data", "snapshots", `${member.id}.img`));
    const [firstCount, secondCount] = await Promise.all(
      images.map(async (image) => Number(await fileInImage(image, "/counter"))),
    );
    assert.ok(firstCount !== undefined && firstCount >= 50, `the first member holds ${firstCount}`);
    assert.ok(
      secondCount === firstCount || secondCount === (firstCount as number) - 1,
      `the members hold ${firstCount} and ${secondCount}: not one point in time`,
    );
    for (const image of images) {
      assert.equal(await fileInImage(image, "/before"), "written before the group");
    }
  } finally {
    if (writer !== undefined) await stop(writer);
    for (const dir of mounted) await run("umount", [dir]);
  }
});
