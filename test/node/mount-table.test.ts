import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isReadOnly, parseMountInfo } from "../../src/node/mount-table.js";

describe("mountinfo parsing", () => {
  test("decodes octal escapes and reads fields around optional tags", () => {
    const [entry] = parseMountInfo(
      "36 35 7:3 / /var/lib/kubelet/pods/a\\040b/mount rw,relatime shared:1 master:2 - ext4 /dev/loop3 rw,errors=remount-ro\n",
    );
    assert.deepEqual(entry, {
      mountId: 36,
      parentId: 35,
      major: 7,
      minor: 3,
      root: "/",
      mountPoint: "/var/lib/kubelet/pods/a b/mount",
      mountOptions: ["rw", "relatime"],
      fsType: "ext4",
      source: "/dev/loop3",
      superOptions: ["rw", "errors=remount-ro"],
    });
  });

  test("a bound device node keeps its devtmpfs root and read-only flag", () => {
    const [entry] = parseMountInfo("90 30 0:5 /loop4 /pods/x/dev ro,nosuid - devtmpfs udev rw,size=100k\n");
    assert.equal(entry?.root, "/loop4");
    assert.equal(entry?.fsType, "devtmpfs");
    assert.equal(entry !== undefined && isReadOnly(entry), true);
  });

  test("skips blank and truncated lines", () => {
    assert.deepEqual(parseMountInfo("\n36 35 7:3 / /x rw\n"), []);
  });
});
