import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readlink, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { LoopDevices } from "../../src/cloud-sim/loop-devices.js";
import { type RunProgram, runProgram } from "../../src/cloud-sim/run-program.js";
import { requireRoot } from "../helpers/root.js";

const run = promisify(execFile);

test("a losetup that makes the device but fails to switch on direct I/O leaves that device in use", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-loops-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "vol-1.img");
  const calls: string[][] = [];
  let made = false;
  const fakeRun: RunProgram = async (program, args) => {
    calls.push([program, ...args]);
    if (args.includes("--list")) {
      return made ? JSON.stringify({ loopdevices: [{ name: "/dev/loop7", "back-file": file }] }) : "";
    }
    made = true;
    throw new Error("losetup: /dev/loop7: set direct io failed");
  };
  const loops = new LoopDevices(fakeRun, join(dir, "by-id"));
  assert.equal(await loops.attach(file, "vol-1", false), "/dev/loop7");
  assert.equal(await readlink(join(dir, "by-id", "virtio-vol-1")), "/dev/loop7");
  assert.deepEqual(
    calls.filter((call) => !call.includes("--list")),
    [["losetup", "--direct-io=on", "--find", "--show", "--", file]],
  );
});

test("a data dir whose filesystem cannot do direct I/O still gets loop devices, with cached I/O", async (t) => {
  if (!requireRoot(t)) return;
  const dir = await mkdtemp(join(tmpdir(), "ballast-loops-"));
  const ramfs = join(dir, "ramfs");
  const file = join(ramfs, "vol-1.img");
  const loops = new LoopDevices(runProgram, join(dir, "by-id"));
  await mkdir(ramfs);
  await run("mount", ["-t", "ramfs", "ramfs", ramfs]);
  // One hook, in this order: the device holds the file, and the mount holds the directory.
  t.after(async () => {
    await loops.detach(file, "vol-1");
    await run("umount", [ramfs]);
    await rm(dir, { recursive: true, force: true });
  });
  await writeFile(file, "");
  await truncate(file, 64 * 1024 * 1024);
  await assert.rejects(
    run("losetup", ["--find", "--show", "--direct-io=on", "--", file]),
    "losetup refuses direct I/O over ramfs, so this test reaches the fallback",
  );
  const device = await loops.attach(file, "vol-1", false);
  const { stdout } = await run("losetup", ["--list", "--json", "--output", "NAME,DIO", device]);
  assert.deepEqual(JSON.parse(stdout), { loopdevices: [{ name: device, dio: false }] });
  assert.equal((await run("blockdev", ["--getsize64", device])).stdout.trim(), String(64 * 1024 * 1024));
});
