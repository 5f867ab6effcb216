import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
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

  const ALLOW_LIST = "(see the node documentation for the allow-list)";

  for (const [option, reason] of [
    ["bind", 'mount option "bind" is not allowed for ext4'],
    ["remount", 'mount option "remount" is not allowed for ext4'],
    ["loop", 'mount option "loop" is not allowed for ext4'],
    ["x-mount.mkdir", 'mount option "x-mount.mkdir" is not allowed for ext4'],
    ["helper=foo", 'mount option "helper" is not allowed for ext4'],
    ["errors=panic", 'mount option "errors" is not allowed for ext4 with the value given'],
    ["commit=0", 'mount option "commit" is not allowed for ext4 with the value given'],
    ["data=x", 'mount option "data" is not allowed for ext4 with the value given'],
    ["ro=1", 'mount option "ro" is not allowed for ext4 with the value given'],
  ] as const) {
    test(`refuses ${option}, naming its key`, () => {
      assert.throws(() => checkedMountOptions("f", "ext4", [option]), {
        name: "BallastError",
        kind: "InvalidArgument",
        message: `f[0]: ${reason} ${ALLOW_LIST}`,
      });
    });
  }

  test("a refused flag is named by its position in the list, also inside a comma-separated flag", () => {
    assert.throws(() => checkedMountOptions("f", "ext4", ["noatime", "nodev,bind"]), {
      message: `f[1]: mount option "bind" is not allowed for ext4 ${ALLOW_LIST}`,
    });
  });

  test("the value of a refused key=secret flag appears nowhere in the error", () => {
    const error = captured(() => checkedMountOptions("f", "ext4", ["noatime", "password=hunter2"]));
    assert.deepEqual(
      { message: error.message, leaked: inspect(error).includes("hunter2") },
      { message: `f[1]: mount option "password" is not allowed for ext4 ${ALLOW_LIST}`, leaked: false },
    );
  });
});

function captured(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  return assert.fail("no error was thrown");
}
