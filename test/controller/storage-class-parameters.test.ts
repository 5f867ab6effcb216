import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  parseMutableParameters,
  parseVolumeParameters,
  resolveFsType,
} from "../../src/controller/storage-class-parameters.js";

describe("parseVolumeParameters", () => {
  test("parses every documented key into a typed spec", () => {
    const spec = parseVolumeParameters({
      type: "balanced",
      iops: "4000",
      throughput: "250",
      encrypted: "true",
      kmsKeyId: "key-1",
      "csi.storage.k8s.io/fstype": "xfs",
      blockSize: "4096",
      "csi.storage.k8s.io/pvc/name": "data",
      "csi.storage.k8s.io/pvc/namespace": "shop",
      "csi.storage.k8s.io/pv/name": "pvc-123",
      tagSpecification_1: "owner={{ .PVCNamespace }}/{{ .PVCName }}",
      tagSpecification_2: "pv={{.PVName}}",
    });
    assert.deepEqual(spec, {
      type: "balanced",
      iops: 4000,
      throughput: 250,
      encrypted: true,
      kmsKeyId: "key-1",
      fsType: "xfs",
      mkfsOptions: { blockSize: "4096" },
      tags: { owner: "shop/data", pv: "pvc-123" },
      tagFields: { owner: "parameters.tagSpecification_1", pv: "parameters.tagSpecification_2" },
      metadata: { pvcName: "data", pvcNamespace: "shop", pvName: "pvc-123" },
    });
  });

  test("an empty map is an unencrypted spec with no tags", () => {
    assert.deepEqual(parseVolumeParameters({}), {
      encrypted: false,
      mkfsOptions: {},
      tags: {},
      tagFields: {},
      metadata: {},
    });
  });

  test("an unknown key is refused naming it", () => {
    assert.throws(() => parseVolumeParameters({ tier: "fast" }), {
      kind: "InvalidArgument",
      message: "parameters.tier: unknown parameter",
    });
  });

  test("an unknown csi.storage.k8s.io key is refused", () => {
    assert.throws(() => parseVolumeParameters({ "csi.storage.k8s.io/pvc/uid": "x" }), {
      message: "parameters.csi.storage.k8s.io/pvc/uid: unknown parameter",
    });
  });

  test("secret references passed through by a sidecar are ignored", () => {
    const spec = parseVolumeParameters({ "csi.storage.k8s.io/provisioner-secret-name": "creds" });
    assert.deepEqual(spec.tags, {});
  });

  test("iops that is not an integer is refused naming the value", () => {
    assert.throws(() => parseVolumeParameters({ iops: "abc" }), {
      message: 'parameters.iops: "abc" is not a positive integer',
    });
  });

  test("encrypted must be true or false", () => {
    assert.throws(() => parseVolumeParameters({ encrypted: "yes" }), {
      message: 'parameters.encrypted: "yes" is not true or false',
    });
  });

  test("kmsKeyId without encryption is refused", () => {
    assert.throws(() => parseVolumeParameters({ kmsKeyId: "k" }), { kind: "InvalidArgument" });
  });

  test("a tag without '=' is refused", () => {
    assert.throws(() => parseVolumeParameters({ tagSpecification_1: "novalue" }), {
      message: 'parameters.tagSpecification_1: "novalue" is not key=value',
    });
  });

  test("a tag on the driver's reserved prefix is refused", () => {
    assert.throws(() => parseVolumeParameters({ tagSpecification_1: "ballast.dev/managed-by=me" }), {
      kind: "InvalidArgument",
    });
  });

  for (const key of ["__proto__", "constructor", "prototype"]) {
    test(`a tag key ${key} is refused, not dropped`, () => {
      assert.throws(() => parseVolumeParameters({ tagSpecification_1: `${key}=x` }), {
        kind: "InvalidArgument",
        message: `parameters.tagSpecification_1: tag key "${key}" is not allowed (__proto__, constructor, prototype are refused)`,
      });
    });
  }

  test("a control character in a tag key is refused naming the key", () => {
    assert.throws(() => parseVolumeParameters({ tagSpecification_2: "te\u001bam=payments" }), {
      kind: "InvalidArgument",
      message: 'parameters.tagSpecification_2: tag key "te\\u001bam" contains a control character (U+001B)',
    });
  });

  test("a control character a template brings into a tag value is refused", () => {
    assert.throws(
      () =>
        parseVolumeParameters({
          "csi.storage.k8s.io/pvc/name": "data\u0085",
          tagSpecification_1: "pvc={{ .PVCName }}",
        }),
      {
        kind: "InvalidArgument",
        message:
          'parameters.tagSpecification_1: the value of tag "pvc" contains a control character (U+0085)',
      },
    );
  });

  test("a tag with an empty key is refused", () => {
    assert.throws(() => parseVolumeParameters({ tagSpecification_1: " =value" }), {
      kind: "InvalidArgument",
      message: 'parameters.tagSpecification_1: " =value" is not key=value',
    });
  });

  test("an unknown template variable is refused", () => {
    assert.throws(() => parseVolumeParameters({ tagSpecification_1: "x={{ .Namespace }}" }), {
      kind: "InvalidArgument",
    });
  });

  test("a template without the provisioner's metadata is refused", () => {
    assert.throws(() => parseVolumeParameters({ tagSpecification_1: "x={{ .PVCName }}" }), {
      message:
        "parameters.tagSpecification_1: template .PVCName needs the provisioner's --extra-create-metadata, which was not passed",
    });
  });
});

describe("resolveFsType", () => {
  test("defaults to ext4 with validated mkfs options", () => {
    const spec = parseVolumeParameters({ inodeSize: "256", bytesPerInode: "16384" });
    assert.deepEqual(resolveFsType(undefined, spec), {
      fsType: "ext4",
      mkfsOptions: { inodeSize: 256, bytesPerInode: 16384 },
    });
  });

  test("the capability's fs type wins when the StorageClass names none", () => {
    assert.equal(resolveFsType("xfs", parseVolumeParameters({})).fsType, "xfs");
  });

  test("a StorageClass fs type contradicting the capability is refused", () => {
    assert.throws(
      () => resolveFsType("ext4", parseVolumeParameters({ "csi.storage.k8s.io/fstype": "xfs" })),
      {
        kind: "InvalidArgument",
      },
    );
  });

  test("bytesPerInode on xfs is refused", () => {
    assert.throws(() => resolveFsType("xfs", parseVolumeParameters({ bytesPerInode: "16384" })), {
      message: "parameters.bytesPerInode: not supported for filesystem xfs",
    });
  });

  test("a block size that is not a power of two is refused", () => {
    assert.throws(() => resolveFsType("ext4", parseVolumeParameters({ blockSize: "3000" })), {
      message: "parameters.blockSize: 3000 is not a power of two",
    });
  });

  test("an xfs block size above the page size is refused", () => {
    assert.throws(() => resolveFsType("xfs", parseVolumeParameters({ blockSize: "8192" })), {
      message: "parameters.blockSize: 8192 is outside 1024..4096 for xfs",
    });
  });

  test("an ext4 block size above the page size is refused", () => {
    assert.throws(() => resolveFsType("ext4", parseVolumeParameters({ blockSize: "65536" })), {
      kind: "InvalidArgument",
      message: "parameters.blockSize: 65536 is outside 1024..4096 for ext4",
    });
  });

  test("an xfs inode size above half the block size is refused", () => {
    assert.throws(
      () => resolveFsType("xfs", parseVolumeParameters({ blockSize: "1024", inodeSize: "1024" })),
      {
        kind: "InvalidArgument",
        message: "parameters.inodeSize: 1024 is larger than half of blockSize 1024",
      },
    );
  });

  test("an mkfs option that is not a decimal integer is refused naming the value", () => {
    assert.throws(() => resolveFsType("ext4", parseVolumeParameters({ inodeSize: "256b" })), {
      kind: "InvalidArgument",
      message: 'parameters.inodeSize: "256b" is not a decimal integer',
    });
  });

  test("an ext4 inode size larger than the block size is refused", () => {
    assert.throws(
      () => resolveFsType("ext4", parseVolumeParameters({ blockSize: "1024", inodeSize: "2048" })),
      {
        message: "parameters.inodeSize: 2048 is larger than blockSize 1024",
      },
    );
  });

  test("an unsupported filesystem is refused", () => {
    assert.throws(() => resolveFsType("btrfs", parseVolumeParameters({})), { kind: "InvalidArgument" });
  });
});

describe("parseMutableParameters", () => {
  test("accepts type, iops and throughput", () => {
    assert.deepEqual(parseMutableParameters({ type: "performance", iops: "5000", throughput: "300" }), {
      type: "performance",
      iops: 5000,
      throughput: 300,
    });
  });

  test("refuses a key that cannot change after creation", () => {
    assert.throws(() => parseMutableParameters({ encrypted: "true" }), {
      message: "mutable_parameters.encrypted: not a mutable parameter (type, iops, throughput)",
    });
  });
});
