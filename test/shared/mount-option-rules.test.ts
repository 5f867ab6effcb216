import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkedMountOptions } from "../../src/shared/mount-option-rules.js";

describe("mount option allow-list", () => {
  test("keeps allowed options in order, splitting lists and dropping duplicates", () => {
    assert.deepEqual(
      checkedMountOptions("f", "ext4", ["noatime,nodev", "data=journal", "noatime", "commit=30"]),
      ["noatime", "nodev", "data=journal", "commit=30"],
    );
  });

  test("accepts xfs options on xfs", () => {
    assert.deepEqual(checkedMountOptions("f", "xfs", ["nouuid", "logbufs=8", "allocsize=64k"]), [
      "nouuid",
      "logbufs=8",
      "allocsize=64k",
    ]);
  });

  for (const option of [
    "bind",
    "remount",
    "loop",
    "x-mount.mkdir",
    "helper=foo",
    "errors=panic",
    "commit=0",
    "data=x",
  ]) {
    test(`refuses ${option}`, () => {
      assert.throws(() => checkedMountOptions("f", "ext4", [option]), {
        name: "BallastError",
        kind: "InvalidArgument",
        message: `f: mount option ${JSON.stringify(option)} is not allowed for ext4 (see the node documentation for the allow-list)`,
      });
    });
  }
});
