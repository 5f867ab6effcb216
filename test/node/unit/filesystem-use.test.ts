import assert from "node:assert/strict";
import { test } from "node:test";
import { type Exec, ExecError } from "../../../src/node/exec.js";
import { mountedSinceMkfs } from "../../../src/node/filesystem-use.js";
import { rejectsWithKind } from "./expect-kind.js";

/** An Exec whose one program prints `stdout`, recording what it was asked to run. */
function printing(stdout: string, calls: string[][] = []): Exec {
  return {
    async run(command, args) {
      calls.push([command, ...args]);
      return { stdout, stderr: "" };
    },
  };
}

const dumpe2fs = (count: number, lastMount: string) =>
  `Filesystem UUID:          0f0e0d0c-0000-4000-8000-000000000001\nMount count:              ${count}\nLast mount time:          ${lastMount}\nBlock count:              262144\n`;

test("ext4 that mkfs made and nobody mounted reads as unused", async () => {
  const calls: string[][] = [];
  assert.equal(await mountedSinceMkfs(printing(dumpe2fs(0, "n/a"), calls), "/dev/vdb", "ext4"), false);
  assert.deepEqual(calls, [["dumpe2fs", "-h", "/dev/vdb"]]);
});

test("ext4 mounted once reads as used", async () => {
  assert.equal(
    await mountedSinceMkfs(printing(dumpe2fs(1, "Sun Dec  6 09:06:59 2026")), "/dev/vdb", "ext4"),
    true,
  );
});

test("ext4 whose mount count e2fsck reset still reads as used by its last mount time", async () => {
  assert.equal(
    await mountedSinceMkfs(printing(dumpe2fs(0, "Sun Dec  6 09:06:59 2026")), "/dev/vdb", "ext4"),
    true,
  );
});

test("xfs with a superblock LSN of 0 reads as unused", async () => {
  const calls: string[][] = [];
  assert.equal(await mountedSinceMkfs(printing("lsn = 0\n", calls), "/dev/vdb", "xfs"), false);
  assert.deepEqual(calls, [["xfs_db", "-r", "-c", "sb 0", "-c", "print lsn", "/dev/vdb"]]);
});

test("xfs whose superblock a mount stamped with an LSN reads as used", async () => {
  assert.equal(await mountedSinceMkfs(printing("lsn = 0x100000002\n"), "/dev/vdb", "xfs"), true);
});

test("a filesystem type the driver never makes reads as used", async () => {
  const calls: string[][] = [];
  assert.equal(await mountedSinceMkfs(printing("", calls), "/dev/vdb", "btrfs"), true);
  assert.deepEqual(calls, []);
});

test("dumpe2fs output without the mount fields is an Internal error that changes nothing", async () => {
  await rejectsWithKind(
    mountedSinceMkfs(printing("Block count: 262144\n"), "/dev/vdb", "ext4"),
    "Internal",
    /^cannot read the last mount time and mount count of \/dev\/vdb from dumpe2fs -h, so a format of it that was interrupted is not redone; nothing was changed$/,
  );
});

test("xfs_db output without the LSN (a v4 superblock) is an Internal error that changes nothing", async () => {
  await rejectsWithKind(
    mountedSinceMkfs(printing("field lsn not found\n"), "/dev/vdb", "xfs"),
    "Internal",
    /^cannot read the superblock LSN of \/dev\/vdb from xfs_db, so a format of it that was interrupted is not redone; nothing was changed$/,
  );
});

test("a failing xfs_db is an Internal error naming the device and what it said", async () => {
  const failing: Exec = {
    async run(command, args) {
      throw new ExecError(
        command,
        args,
        1,
        null,
        "",
        "xfs_db: /dev/vdb is not a valid XFS filesystem",
        false,
      );
    },
  };
  await rejectsWithKind(
    mountedSinceMkfs(failing, "/dev/vdb", "xfs"),
    "Internal",
    /^cannot tell whether the filesystem on \/dev\/vdb has been mounted since it was made, so a format of it that was interrupted is not redone; nothing was changed: .*not a valid XFS filesystem/,
  );
});
