import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { CLOUD_NAME, checkedCoName, cloudNameOf } from "../../src/controller/cloud-names.js";

const sha256Hex = (value: string) => createHash("sha256").update(value, "utf8").digest("hex");

describe("cloudNameOf", () => {
  test("a Kubernetes PV name is its own cloud name", () => {
    assert.equal(
      cloudNameOf("pvc-7f3c9b2e-1d2a-4c55-9a0e-3b1f2a6c8d90"),
      "pvc-7f3c9b2e-1d2a-4c55-9a0e-3b1f2a6c8d90",
    );
  });

  test("a snapshot name with dots and underscores is its own cloud name", () => {
    assert.equal(cloudNameOf("snapshot-1.daily_a"), "snapshot-1.daily_a");
  });

  test("a name of 128 fitting characters is its own cloud name", () => {
    const name = `a${"b".repeat(127)}`;
    assert.equal(cloudNameOf(name), name);
  });

  test("a Unicode name becomes csi- and the first 32 hex digits of its sha256", () => {
    const name = "Données ☃";
    assert.equal(cloudNameOf(name), `csi-${sha256Hex(name).slice(0, 32)}`);
  });

  test("a name starting with a character the cloud refuses first is hashed", () => {
    assert.equal(cloudNameOf("_leading-underscore"), `csi-${sha256Hex("_leading-underscore").slice(0, 32)}`);
  });

  test("a name with a space is hashed", () => {
    assert.equal(cloudNameOf("my volume"), `csi-${sha256Hex("my volume").slice(0, 32)}`);
  });

  test("a name with a newline is hashed", () => {
    assert.equal(cloudNameOf("my\nvolume"), `csi-${sha256Hex("my\nvolume").slice(0, 32)}`);
  });

  test("the same name maps to the same cloud name every time", () => {
    assert.equal(cloudNameOf("𝔟𝔟𝔟 data"), cloudNameOf("𝔟𝔟𝔟 data"));
  });

  test("names differing in one character map to different cloud names", () => {
    assert.notEqual(cloudNameOf("volume ä"), cloudNameOf("volume ö"));
  });

  test("a hashed name fits the cloud's name pattern", () => {
    assert.match(cloudNameOf("𝔟".repeat(32)), CLOUD_NAME);
  });
});

describe("checkedCoName", () => {
  test("accepts a name of exactly 128 bytes of 4-byte characters", () => {
    const name = "𝔟".repeat(32);
    assert.equal(Buffer.byteLength(name), 128);
    assert.equal(checkedCoName("name", name), name);
  });

  test("refuses an empty name naming the field", () => {
    assert.throws(() => checkedCoName("name", ""), { kind: "InvalidArgument", message: "name: is required" });
  });

  test("refuses a name of 129 bytes naming the field, the value and its size", () => {
    const name = `${"𝔟".repeat(32)}x`;
    assert.throws(() => checkedCoName("name", name), {
      kind: "InvalidArgument",
      message: `name: "${name}" is 129 bytes, longer than the 128 bytes CSI allows`,
    });
  });

  test("accepts a name with a tab, a newline and a carriage return, the whitespace CSI allows", () => {
    assert.equal(checkedCoName("name", "pvc\t1\n2\r3"), "pvc\t1\n2\r3");
  });

  test("refuses a name with a vertical tab naming the field, the value and the character", () => {
    assert.throws(() => checkedCoName("name", "pvc-1\vx"), {
      kind: "InvalidArgument",
      message:
        'name: "pvc-1\\u000bx" contains the control character U+000B, which CSI does not allow in names',
    });
  });

  test("refuses a name with a C1 control character naming it", () => {
    assert.throws(() => checkedCoName("name", "pvc-\u0085"), {
      kind: "InvalidArgument",
      message: 'name: "pvc-\u0085" contains the control character U+0085, which CSI does not allow in names',
    });
  });

  test("refuses a name with DEL naming it", () => {
    assert.throws(() => checkedCoName("name", "pvc-\u007f"), {
      kind: "InvalidArgument",
      message: 'name: "pvc-\u007f" contains the control character U+007F, which CSI does not allow in names',
    });
  });
});
