import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mkfsCommand } from "../../src/node/mkfs-options.js";

/** mkfs discards the whole device by default; a device that only looked blank would lose its blocks. */
describe("mkfsCommand", () => {
  test("ext4 is made without discarding the device", () => {
    assert.deepEqual(mkfsCommand("ext4", { blockSize: 4096, inodeSize: 256 }, "/dev/loop7"), [
      "mkfs.ext4",
      ["-F", "-q", "-E", "nodiscard", "-b", "4096", "-I", "256", "/dev/loop7"],
    ]);
  });

  test("xfs is made without discarding the device", () => {
    assert.deepEqual(mkfsCommand("xfs", { blockSize: 4096, inodeSize: 512 }, "/dev/loop7"), [
      "mkfs.xfs",
      ["-q", "-K", "-b", "size=4096", "-i", "size=512", "/dev/loop7"],
    ]);
  });
});
