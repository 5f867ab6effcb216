import assert from "node:assert/strict";
import { type ChildProcess, execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { components } from "../../src/generated/block-storage.v1.js";
import { requireRoot } from "../helpers/root.js";
import { localInstance, startTestCloud, uniqueName } from "./harness.js";
import { fileInImage, mountedVolume, snapshotImage, startWriter, stop } from "./point-in-time-lab.js";

type Schemas = components["schemas"];
const run = promisify(execFile);

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

    writer = await startWriter(join(firstDir, "counter"), join(secondDir, "counter"));
    const operation = await c.done("POST", "/v1/snapshot-groups", {
      name: uniqueName("group"),
      sourceVolumeIds: [first, second],
    });
    await stop(writer);

    const members = (operation.snapshotGroup as Schemas["SnapshotGroup"]).snapshots;
    const images = members.map((member) => snapshotImage(c, member.id));
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
