import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkedMkfsOptions, mkfsOptionsToContext } from "../../src/shared/mkfs-option-rules.js";

describe("the one mkfs option table", () => {
  test("names the source of the options in the message (the node's volume context)", () => {
    assert.throws(() => checkedMkfsOptions("volume_context", { blockSize: "65536" }, "ext4"), {
      kind: "InvalidArgument",
      message: "volume_context.blockSize: 65536 is outside 1024..4096 for ext4",
    });
  });

  test("an ext4 inode larger than its block is refused", () => {
    assert.throws(
      () => checkedMkfsOptions("volume_context", { blockSize: "2048", inodeSize: "4096" }, "ext4"),
      {
        kind: "InvalidArgument",
        message: "volume_context.inodeSize: 4096 is larger than blockSize 2048",
      },
    );
  });

  test("an empty value is not a number", () => {
    assert.throws(() => checkedMkfsOptions("volume_context", { inodeSize: "" }, "ext4"), {
      kind: "InvalidArgument",
      message: 'volume_context.inodeSize: "" is not a decimal integer',
    });
  });

  test("only the map's own keys are read, never inherited ones", () => {
    const inherited = Object.create({ blockSize: "65536" }) as Record<string, string>;
    assert.deepEqual(checkedMkfsOptions("volume_context", inherited, "ext4"), {});
  });

  test("options travel to the node as decimal strings and come back as the same numbers", () => {
    const options = checkedMkfsOptions("parameters", { blockSize: "4096", inodeSize: "512" }, "xfs");
    const context = mkfsOptionsToContext(options);
    assert.deepEqual(context, { blockSize: "4096", inodeSize: "512" });
    assert.deepEqual(checkedMkfsOptions("volume_context", context, "xfs"), options);
  });
});
