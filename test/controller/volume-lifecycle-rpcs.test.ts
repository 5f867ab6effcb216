import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  CreateVolumeRequest,
  type CreateVolumeResponse,
  VolumeCapability_AccessMode_Mode as Mode,
  ControllerServiceCapability_RPC_Type as Rpc,
  ValidateVolumeCapabilitiesRequest,
} from "../../src/generated/csi.js";
import {
  blockCapability,
  codeOf,
  GiB,
  type Harness,
  mountCapability,
  rpc,
  startHarness,
} from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";

describe("Controller volume RPCs after CreateVolume against the reference cloud", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const create = (request: Partial<CreateVolumeRequest>, deadlineMs?: number) =>
    rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({ volumeCapabilities: [mountCapability()], ...request }),
      deadlineMs,
    );

  const validate = (request: Partial<ValidateVolumeCapabilitiesRequest>) =>
    rpc(
      h.controller,
      h.controller.validateVolumeCapabilities,
      ValidateVolumeCapabilitiesRequest.fromPartial({ volumeCapabilities: [mountCapability()], ...request }),
    );

  test("DeleteVolume of an unknown volume is OK", async () => {
    await rpc(h.controller, h.controller.deleteVolume, { volumeId: "vol-00000000deadbeef", secrets: {} });
  });

  test("DeleteVolume without a volume id is InvalidArgument", async () => {
    const code = await codeOf(rpc(h.controller, h.controller.deleteVolume, { volumeId: "", secrets: {} }));
    assert.equal(code, status.INVALID_ARGUMENT);
  });

  test("DeleteVolume removes the volume from the cloud", async () => {
    const { volume } = await create({ name: "pvc-delete" });
    await rpc(h.controller, h.controller.deleteVolume, { volumeId: volume?.volumeId ?? "", secrets: {} });
    const found = await h.api.findVolumeByName("pvc-delete", { deadline: Date.now() + 5000 });
    assert.equal(found, undefined);
  });

  test("ControllerExpandVolume grows and asks for node expansion of a mount volume", async () => {
    const { volume } = await create({ name: "pvc-expand" });
    const response = await rpc(h.controller, h.controller.controllerExpandVolume, {
      volumeId: volume?.volumeId ?? "",
      capacityRange: { requiredBytes: 3n * GiB - 5n, limitBytes: 0n },
      secrets: {},
      volumeCapability: mountCapability(),
    });
    assert.deepEqual(response, { capacityBytes: 3n * GiB, nodeExpansionRequired: true });
  });

  test("ControllerExpandVolume of a block volume needs no node expansion", async () => {
    const { volume } = await create({ name: "pvc-expand-block", volumeCapabilities: [blockCapability()] });
    const response = await rpc(h.controller, h.controller.controllerExpandVolume, {
      volumeId: volume?.volumeId ?? "",
      capacityRange: { requiredBytes: 2n * GiB, limitBytes: 0n },
      secrets: {},
      volumeCapability: blockCapability(),
    });
    assert.equal(response.nodeExpansionRequired, false);
  });

  test("ControllerExpandVolume of an unknown volume is NotFound", async () => {
    const code = await codeOf(
      rpc(h.controller, h.controller.controllerExpandVolume, {
        volumeId: "vol-00000000deadbeef",
        capacityRange: { requiredBytes: 2n * GiB, limitBytes: 0n },
        secrets: {},
      }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  test("ControllerExpandVolume past the tier maximum is OutOfRange", async () => {
    const { volume } = await create({ name: "pvc-expand-huge" });
    const code = await codeOf(
      rpc(h.controller, h.controller.controllerExpandVolume, {
        volumeId: volume?.volumeId ?? "",
        capacityRange: { requiredBytes: 20n * 1024n * GiB, limitBytes: 0n },
        secrets: {},
      }),
    );
    assert.equal(code, status.OUT_OF_RANGE);
  });

  test("ControllerExpandVolume with MULTI_NODE_MULTI_WRITER is InvalidArgument naming the mode, and grows nothing", async () => {
    const { volume } = await create({ name: "pvc-expand-mnmw" });
    const volumeId = volume?.volumeId ?? "";
    await assert.rejects(
      rpc(h.controller, h.controller.controllerExpandVolume, {
        volumeId,
        capacityRange: { requiredBytes: 2n * GiB, limitBytes: 0n },
        secrets: {},
        volumeCapability: mountCapability(Mode.MULTI_NODE_MULTI_WRITER),
      }),
      {
        code: status.INVALID_ARGUMENT,
        details: "volume_capability: access mode MULTI_NODE_MULTI_WRITER is not supported",
      },
    );
    assert.equal((await h.api.getVolume(volumeId, { deadline: Date.now() + 5000 })).sizeBytes, Number(GiB));
  });

  test("ControllerExpandVolume with MULTI_NODE_READER_ONLY on a single-attach tier is InvalidArgument naming the tier", async () => {
    const { volume } = await create({ name: "pvc-expand-mnro", parameters: { type: "balanced" } });
    await assert.rejects(
      rpc(h.controller, h.controller.controllerExpandVolume, {
        volumeId: volume?.volumeId ?? "",
        capacityRange: { requiredBytes: 2n * GiB, limitBytes: 0n },
        secrets: {},
        volumeCapability: blockCapability(Mode.MULTI_NODE_READER_ONLY),
      }),
      {
        code: status.INVALID_ARGUMENT,
        details:
          "volume_capability: access mode MULTI_NODE_READER_ONLY needs a tier that attaches to several nodes; balanced does not",
      },
    );
  });

  test("ControllerExpandVolume with an unsupported fs_type is InvalidArgument even when nothing needs to grow", async () => {
    const { volume } = await create({ name: "pvc-expand-ntfs" });
    await assert.rejects(
      rpc(h.controller, h.controller.controllerExpandVolume, {
        volumeId: volume?.volumeId ?? "",
        capacityRange: { requiredBytes: GiB, limitBytes: 0n },
        secrets: {},
        volumeCapability: mountCapability(Mode.SINGLE_NODE_WRITER, "ntfs"),
      }),
      {
        code: status.INVALID_ARGUMENT,
        details: 'volume_capability: fs_type "ntfs" is not supported (ext4, xfs)',
      },
    );
  });

  test("ControllerModifyVolume changes IOPS within the tier bounds", async () => {
    const { volume } = await create({ name: "pvc-modify" });
    const volumeId = volume?.volumeId ?? "";
    await rpc(h.controller, h.controller.controllerModifyVolume, {
      volumeId,
      secrets: {},
      mutableParameters: { iops: "6000" },
    });
    const stored = await h.api.getVolume(volumeId, { deadline: Date.now() + 5000 });
    assert.equal(stored.iops, 6000);
  });

  test("ControllerModifyVolume with IOPS above the tier maximum is InvalidArgument", async () => {
    const { volume } = await create({ name: "pvc-modify-bad" });
    const code = await codeOf(
      rpc(h.controller, h.controller.controllerModifyVolume, {
        volumeId: volume?.volumeId ?? "",
        secrets: {},
        mutableParameters: { iops: "99999999" },
      }),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
  });

  test("ControllerModifyVolume of an unknown volume is NotFound", async () => {
    const code = await codeOf(
      rpc(h.controller, h.controller.controllerModifyVolume, {
        volumeId: "vol-00000000deadbeef",
        secrets: {},
        mutableParameters: { type: "performance" },
      }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  test("ControllerGetVolume reports no nodes and a normal condition for a fresh volume", async () => {
    const { volume } = await create({ name: "pvc-get" });
    const response = await rpc(h.controller, h.controller.controllerGetVolume, {
      volumeId: volume?.volumeId ?? "",
    });
    assert.deepEqual(response.status?.publishedNodeIds, []);
    assert.equal(response.status?.volumeCondition?.abnormal, false);
  });

  test("ControllerGetVolume of an unknown volume is NotFound", async () => {
    const code = await codeOf(
      rpc(h.controller, h.controller.controllerGetVolume, { volumeId: "vol-00000000deadbeef" }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  test("ValidateVolumeCapabilities confirms a supported capability", async () => {
    const { volume } = await create({ name: "pvc-validate" });
    const response = await validate({ volumeId: volume?.volumeId ?? "" });
    assert.deepEqual(response.confirmed?.volumeCapabilities, [mountCapability()]);
  });

  test("ValidateVolumeCapabilities confirms the parameters the volume was made with", async () => {
    const { volume } = await create({ name: "pvc-validate-params", parameters: { type: "standard" } });
    const response = await validate({ volumeId: volume?.volumeId ?? "", parameters: { type: "standard" } });
    assert.deepEqual(response.confirmed?.parameters, { type: "standard" });
    assert.equal(response.message, "");
  });

  test("ValidateVolumeCapabilities leaves parameters of another tier unconfirmed, naming both tiers", async () => {
    const { volume } = await create({ name: "pvc-validate-tier", parameters: { type: "standard" } });
    const response = await validate({
      volumeId: volume?.volumeId ?? "",
      parameters: { type: "performance" },
    });
    assert.equal(response.confirmed, undefined);
    assert.equal(
      response.message,
      `parameters.type: volume ${volume?.volumeId} is of type standard, not performance`,
    );
  });

  test("ValidateVolumeCapabilities leaves an unknown parameter unconfirmed, naming it", async () => {
    const { volume } = await create({ name: "pvc-validate-unknown" });
    const response = await validate({ volumeId: volume?.volumeId ?? "", parameters: { replicas: "3" } });
    assert.equal(response.confirmed, undefined);
    assert.equal(response.message, "parameters.replicas: unknown parameter");
  });

  test("ValidateVolumeCapabilities leaves an unsupported mode unconfirmed with a message", async () => {
    const { volume } = await create({ name: "pvc-validate-no" });
    const response = await validate({
      volumeId: volume?.volumeId ?? "",
      volumeCapabilities: [mountCapability(Mode.MULTI_NODE_MULTI_WRITER)],
    });
    assert.equal(response.confirmed, undefined);
    assert.equal(
      response.message,
      "volume_capabilities[0]: access mode MULTI_NODE_MULTI_WRITER is not supported",
    );
  });

  test("ValidateVolumeCapabilities leaves mount flags the node refuses unconfirmed, naming the flag", async () => {
    const { volume } = await create({ name: "pvc-validate-flags" });
    const capability = mountCapability();
    if (capability.accessType?.$case === "mount") capability.accessType.value.mountFlags = ["exec;rm"];
    const response = await validate({ volumeId: volume?.volumeId ?? "", volumeCapabilities: [capability] });
    assert.equal(response.confirmed, undefined);
    assert.equal(
      response.message,
      'volume_capabilities[0].mount.mount_flags[0]: mount option "exec;rm" is not allowed for ext4 (see the node documentation for the allow-list)',
    );
  });

  test("ValidateVolumeCapabilities judges mount flags by the filesystem the volume context names", async () => {
    const { volume } = await create({ name: "pvc-validate-xfs-flags" });
    const capability = mountCapability(undefined, "");
    if (capability.accessType?.$case === "mount") capability.accessType.value.mountFlags = ["nouuid"];
    const response = await validate({
      volumeId: volume?.volumeId ?? "",
      volumeContext: { fsType: "xfs" },
      volumeCapabilities: [capability],
    });
    assert.deepEqual(response.confirmed?.volumeCapabilities, [capability]);
  });

  test("ValidateVolumeCapabilities of an unknown volume is NotFound", async () => {
    const code = await codeOf(validate({ volumeId: "vol-00000000deadbeef" }));
    assert.equal(code, status.NOT_FOUND);
  });

  test("ListVolumes pages through every driver volume exactly once", async () => {
    const created: CreateVolumeResponse[] = [];
    for (const n of [1, 2, 3]) created.push(await create({ name: `pvc-list-${n}` }));
    const seen: string[] = [];
    let token = "";
    do {
      const page = await rpc(h.controller, h.controller.listVolumes, { maxEntries: 2, startingToken: token });
      assert.ok(page.entries.length <= 2);
      seen.push(...page.entries.map((e) => e.volume?.volumeId ?? ""));
      token = page.nextToken;
    } while (token !== "");
    assert.equal(new Set(seen).size, seen.length);
    for (const c of created) assert.ok(seen.includes(c.volume?.volumeId ?? ""));
  });

  test("ListVolumes with an invalid starting token is Aborted", async () => {
    const code = await codeOf(
      rpc(h.controller, h.controller.listVolumes, { maxEntries: 0, startingToken: "not-a-token" }),
    );
    assert.equal(code, status.ABORTED);
  });

  test("GetCapacity in a zone reports the tier's bounds", async () => {
    const response = await rpc(h.controller, h.controller.getCapacity, {
      volumeCapabilities: [mountCapability()],
      parameters: { type: "standard" },
      accessibleTopology: { segments: { [ZONE_KEY]: "ref-1a" } },
    });
    assert.ok(response.availableCapacity > 0n);
    assert.equal(response.minimumVolumeSize, GiB);
    assert.equal(response.maximumVolumeSize, 16n * 1024n * GiB);
  });

  test("ControllerGetCapabilities lists every implemented RPC", async () => {
    const response = await rpc(h.controller, h.controller.controllerGetCapabilities, {});
    const types = response.capabilities.map((c) => (c.type?.$case === "rpc" ? c.type.value.type : undefined));
    assert.deepEqual(
      types.sort((a, b) => (a ?? 0) - (b ?? 0)),
      [
        Rpc.CREATE_DELETE_VOLUME,
        Rpc.PUBLISH_UNPUBLISH_VOLUME,
        Rpc.LIST_VOLUMES,
        Rpc.GET_CAPACITY,
        Rpc.CREATE_DELETE_SNAPSHOT,
        Rpc.LIST_SNAPSHOTS,
        Rpc.CLONE_VOLUME,
        Rpc.PUBLISH_READONLY,
        Rpc.EXPAND_VOLUME,
        Rpc.LIST_VOLUMES_PUBLISHED_NODES,
        Rpc.VOLUME_CONDITION,
        Rpc.GET_VOLUME,
        Rpc.SINGLE_NODE_MULTI_WRITER,
        Rpc.MODIFY_VOLUME,
        Rpc.GET_SNAPSHOT,
      ],
    );
  });
});
