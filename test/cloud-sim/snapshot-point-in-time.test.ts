import assert from "node:assert/strict";
import { type ChildProcess, execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { requireRoot } from "../helpers/root.js";
import { localInstance, startTestCloud, uniqueName } from "./harness.js";
import { fileInImage, mountedVolume, snapshotImage, startWriter, stop } from "./point-in-time-lab.js";

const run = promisify(execFile);

test("a snapshot of a mounted volume taken while a writer runs holds one point in time", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instanceId = await localInstance(c);
  const dir = join(c.dir, "mnt");
  let mounted = false;
  let writer: ChildProcess | undefined;
  try {
    const volumeId = await mountedVolume(c, instanceId, dir);
    mounted = true;

    writer = await startWriter(join(dir, "first"), join(dir, "second"));
    const operation = await c.done("POST", "/v1/snapshots", {
      name: uniqueName("snap"),
      sourceVolumeId: volumeId,
    });
    await stop(writer);

    const image = snapshotImage(c, operation.resourceId);
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
