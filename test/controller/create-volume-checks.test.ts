import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import {
  CreateVolumeRequest,
  VolumeCapability_AccessMode_Mode as Mode,
  type VolumeCapability,
} from "../../src/generated/csi.js";
import { type Harness, rpc, startHarness } from "./controller-harness.js";

function mountWithFlags(fsType: string, mountFlags: string[]): VolumeCapability {
  return {
    accessType: { $case: "mount", value: { fsType, mountFlags, volumeMountGroup: "" } },
    accessMode: { mode: Mode.SINGLE_NODE_WRITER },
  };
}

/**
 * What CreateVolume refuses up front because a node would refuse it at every NodeStage, and what
 * it must carry to the node so the node makes the filesystem the StorageClass asked for.
 */
describe("CreateVolume refuses what no node can serve", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const create = (request: Partial<CreateVolumeRequest>) =>
    rpc(h.controller, h.controller.createVolume, CreateVolumeRequest.fromPartial(request));

  async function refusal(request: Partial<CreateVolumeRequest>): Promise<ServiceError> {
    const error = await create(request).then(
      () => assert.fail("CreateVolume answered OK"),
      (e: ServiceError) => e,
    );
    assert.equal(error.code, status.INVALID_ARGUMENT, error.details);
    return error;
  }

  test("a mount flag smuggling a command (exec;rm) is InvalidArgument naming the flag", async () => {
    const error = await refusal({
      name: "pvc-flag-exec-rm",
      volumeCapabilities: [mountWithFlags("ext4", ["noatime", "exec;rm"])],
    });
    assert.equal(
      error.details,
      'volume_capabilities[0].mount.mount_flags[1]: mount option "exec;rm" is not allowed for ext4 (see the node documentation for the allow-list)',
    );
  });

  test("a bind mount flag is InvalidArgument naming the flag", async () => {
    const error = await refusal({
      name: "pvc-flag-bind",
      volumeCapabilities: [mountWithFlags("", ["bind"])],
    });
    assert.equal(
      error.details,
      'volume_capabilities[0].mount.mount_flags[0]: mount option "bind" is not allowed for ext4 (see the node documentation for the allow-list)',
    );
  });

  test("a refused password=… mount flag is named by its key, and its value is not in the answer", async () => {
    const error = await refusal({
      name: "pvc-flag-password",
      volumeCapabilities: [mountWithFlags("ext4", ["noatime", "password=hunter2"])],
    });
    assert.equal(
      error.details,
      'volume_capabilities[0].mount.mount_flags[1]: mount option "password" is not allowed for ext4 (see the node documentation for the allow-list)',
    );
  });

  test("an xfs mount flag is checked against the StorageClass's xfs when the capability names no fs_type", async () => {
    const { volume } = await create({
      name: "pvc-flag-xfs",
      parameters: { "csi.storage.k8s.io/fstype": "xfs" },
      volumeCapabilities: [mountWithFlags("", ["nouuid"])],
    });
    assert.equal(volume?.volumeContext.fsType, "xfs");
  });

  test("an ext4 blockSize of 64 KiB, which no 4 KiB-page kernel mounts, is InvalidArgument naming it", async () => {
    const error = await refusal({
      name: "pvc-block-64k",
      parameters: { blockSize: "65536" },
      volumeCapabilities: [mountWithFlags("ext4", [])],
    });
    assert.equal(error.details, "parameters.blockSize: 65536 is outside 1024..4096 for ext4");
  });

  test("a __proto__ tag key is InvalidArgument, not silently dropped", async () => {
    const error = await refusal({
      name: "pvc-tag-proto",
      parameters: { tagSpecification_1: "__proto__=x" },
      volumeCapabilities: [mountWithFlags("ext4", [])],
    });
    assert.match(error.details, /^parameters\.tagSpecification_1: tag key "__proto__" /);
  });

  test("a NUL in a tag value is InvalidArgument naming the key", async () => {
    const error = await refusal({
      name: "pvc-tag-nul",
      parameters: { tagSpecification_1: "team=pay\u0000ments" },
      volumeCapabilities: [mountWithFlags("ext4", [])],
    });
    assert.equal(
      error.details,
      'parameters.tagSpecification_1: the value of tag "team" contains a control character (U+0000)',
    );
  });

  test("the StorageClass's fstype reaches the node in the volume context", async () => {
    const { volume } = await create({
      name: "pvc-fstype-context",
      parameters: { "csi.storage.k8s.io/fstype": "xfs", inodeSize: "512" },
      volumeCapabilities: [mountWithFlags("", [])],
    });
    assert.deepEqual(volume?.volumeContext, { fsType: "xfs", inodeSize: "512", volumeType: "balanced" });
  });
});
