import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeLabels, encodeLabels, labelSelector } from "../../src/providers/hetzner/labels.js";

const VALUE = /^(|[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9])$/;

describe("Hetzner provider: tags as labels", () => {
  test("ownership and a Kubernetes name that fit the grammar stay as they are", () => {
    const tags = {
      "ballast.dev/managed-by": "block.csi.ballast.dev",
      "ballast.dev/csi-name": "pvc-5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
    };
    assert.deepEqual(encodeLabels(tags), tags);
  });

  test("a value with a slash is stored as base32 and read back exactly", () => {
    const labels = encodeLabels({ "ballast.dev/pvc": "team-a/data-0" });
    assert.deepEqual(labels, { "ballast.dev/pvc": "b32-1-orswc3jnmexwiylumewta" });
    assert.deepEqual(decodeLabels(labels), { "ballast.dev/pvc": "team-a/data-0" });
  });

  test("a long Unicode CO name is cut into chunks that each fit, and decodes to itself", () => {
    const name = `ĉiu-${"ŝ".repeat(60)}`;
    const labels = encodeLabels({ "ballast.dev/csi-name": name });
    assert.deepEqual(Object.keys(labels), [
      "ballast.dev/csi-name",
      "ballast.dev/csi-name-2",
      "ballast.dev/csi-name-3",
      "ballast.dev/csi-name-4",
    ]);
    assert.match(labels["ballast.dev/csi-name"] ?? "", /^b32-4-[a-z2-7]{56}$/);
    assert.ok(Object.values(labels).every((value) => VALUE.test(value)));
    assert.deepEqual(decodeLabels(labels), { "ballast.dev/csi-name": name });
  });

  test("the encoding is deterministic whatever the order of the tags", () => {
    const a = encodeLabels({ x: "a/b", "ballast.dev/y": "c" });
    const b = encodeLabels({ "ballast.dev/y": "c", x: "a/b" });
    assert.equal(labelSelector(a), labelSelector(b));
    assert.equal(labelSelector(a), "ballast.dev/y=c,x=b32-1-mexwe");
  });

  test("a plain value that looks like an encoded one is encoded too, so it reads back unchanged", () => {
    const labels = encodeLabels({ k: "b32-1-abc" });
    assert.notEqual(labels.k, "b32-1-abc");
    assert.deepEqual(decodeLabels(labels), { k: "b32-1-abc" });
  });

  test("labels someone else set are read as they are", () => {
    assert.deepEqual(decodeLabels({ env: "prod", odd: "b32-2-mfrgg" }), { env: "prod", odd: "b32-2-mfrgg" });
  });

  test("a key Hetzner cannot take is InvalidArgument naming the key and the provider", () => {
    assert.throws(() => encodeLabels({ "team owner": "x" }), {
      kind: "InvalidArgument",
      message:
        'tags: tag key "team owner" is not a Hetzner Cloud label key (an optional DNS prefix and "/", then 1-63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit)',
    });
  });
});
