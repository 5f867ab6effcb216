import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateVolumeRequest,
  VolumeCapability_AccessMode_Mode as Mode,
  ValidateVolumeCapabilitiesRequest,
} from "../../src/generated/csi.js";
import { BALLAST_CAPABILITIES } from "../../src/providers/ballast/index.js";
import { type Harness, mountCapability, rpc, startHarness } from "./controller-harness.js";

/**
 * `confirmed` echoes the parameters as validated, so each one must describe the volume: compared
 * with the cloud's record where it has one, with the volume context where only that records it.
 */
describe("ValidateVolumeCapabilities confirms parameters only when they describe the volume", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const create = async (request: Partial<CreateVolumeRequest>) => {
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({ volumeCapabilities: [mountCapability()], ...request }),
    );
    return { volumeId: volume?.volumeId ?? "", volumeContext: volume?.volumeContext ?? {} };
  };

  const validate = (request: Partial<ValidateVolumeCapabilitiesRequest>) =>
    rpc(
      h.controller,
      h.controller.validateVolumeCapabilities,
      ValidateVolumeCapabilitiesRequest.fromPartial({ volumeCapabilities: [mountCapability()], ...request }),
    );

  test("every parameter the volume was made with, and its volume context, is confirmed", async () => {
    const parameters = {
      type: "balanced",
      iops: "4000",
      throughput: "250",
      encrypted: "true",
      kmsKeyId: "key-a",
      "csi.storage.k8s.io/fstype": "xfs",
      blockSize: "4096",
      "csi.storage.k8s.io/pvc/name": "data",
      tagSpecification_1: "claim={{ .PVCName }}",
    };
    const xfs = mountCapability(Mode.SINGLE_NODE_WRITER, "xfs");
    const volume = await create({ name: "validate-all", parameters, volumeCapabilities: [xfs] });
    const response = await validate({ ...volume, parameters, volumeCapabilities: [xfs] });
    assert.deepEqual(response, {
      confirmed: {
        volumeContext: volume.volumeContext,
        volumeCapabilities: [xfs],
        parameters,
        mutableParameters: {},
      },
      message: "",
    });
  });

  test("IOPS other than the volume's are unconfirmed, naming both", async () => {
    const { volumeId } = await create({ name: "validate-iops" });
    assert.deepEqual(await validate({ volumeId, parameters: { iops: "16000" } }), {
      confirmed: undefined,
      message: `parameters.iops: volume ${volumeId} has 3000 IOPS, not 16000`,
    });
  });

  test("IOPS on a tier that fixes them are unconfirmed, naming the tier", async () => {
    const { volumeId } = await create({ name: "validate-fixed-iops", parameters: { type: "standard" } });
    assert.deepEqual(await validate({ volumeId, parameters: { iops: "3000" } }), {
      confirmed: undefined,
      message: `parameters.iops: volume ${volumeId} has the fixed IOPS of tier standard, not 3000`,
    });
  });

  test("a mutable throughput other than the volume's is unconfirmed under mutable_parameters", async () => {
    const { volumeId } = await create({ name: "validate-mutable-throughput" });
    assert.deepEqual(await validate({ volumeId, mutableParameters: { throughput: "500" } }), {
      confirmed: undefined,
      message: `mutable_parameters.throughput: volume ${volumeId} has 125 MiB/s, not 500`,
    });
  });

  test("a StorageClass IOPS overridden by the mutable IOPS the volume now has is confirmed", async () => {
    const { volumeId } = await create({ name: "validate-modified-iops", parameters: { iops: "3000" } });
    await rpc(h.controller, h.controller.controllerModifyVolume, {
      volumeId,
      secrets: {},
      mutableParameters: { iops: "6000" },
    });
    const response = await validate({
      volumeId,
      parameters: { iops: "3000" },
      mutableParameters: { iops: "6000" },
    });
    assert.deepEqual(response.confirmed?.mutableParameters, { iops: "6000" });
    assert.equal(response.message, "");
  });

  test("encrypted true for an unencrypted volume is unconfirmed", async () => {
    const { volumeId } = await create({ name: "validate-unencrypted" });
    assert.deepEqual(await validate({ volumeId, parameters: { encrypted: "true" } }), {
      confirmed: undefined,
      message: `parameters.encrypted: volume ${volumeId} has encrypted false, not "true"`,
    });
  });

  test("encrypted false for a volume encrypted from the start is unconfirmed", async () => {
    const { volumeId } = await create({ name: "validate-encrypted", parameters: { encrypted: "true" } });
    assert.deepEqual(await validate({ volumeId, parameters: { encrypted: "false" } }), {
      confirmed: undefined,
      message: `parameters.encrypted: volume ${volumeId} has encrypted true, not "false"`,
    });
  });

  test("encrypted false for the clone of an encrypted volume is confirmed, as CreateVolume made it so", async () => {
    const source = await create({ name: "validate-encrypted-source", parameters: { encrypted: "true" } });
    const clone = await create({
      name: "validate-encrypted-clone",
      parameters: { encrypted: "false" },
      volumeContentSource: { type: { $case: "volume", value: { volumeId: source.volumeId } } },
    });
    const response = await validate({ volumeId: clone.volumeId, parameters: { encrypted: "false" } });
    assert.deepEqual(response.confirmed?.parameters, { encrypted: "false" });
    assert.equal(response.message, "");
  });

  test("another KMS key is unconfirmed, naming both keys", async () => {
    const parameters = { encrypted: "true", kmsKeyId: "key-a" };
    const { volumeId } = await create({ name: "validate-kms", parameters });
    assert.deepEqual(await validate({ volumeId, parameters: { ...parameters, kmsKeyId: "key-b" } }), {
      confirmed: undefined,
      message: `parameters.kmsKeyId: volume ${volumeId} has key "key-a", not "key-b"`,
    });
  });

  test("a tag with another value is unconfirmed, naming the parameter and both values", async () => {
    const { volumeId } = await create({
      name: "validate-tag",
      parameters: { tagSpecification_1: "team=storage" },
    });
    assert.deepEqual(await validate({ volumeId, parameters: { tagSpecification_1: "team=web" } }), {
      confirmed: undefined,
      message: `parameters.tagSpecification_1: volume ${volumeId} has tag "team" = "storage", not "web"`,
    });
  });

  test("a tag the volume lacks is unconfirmed", async () => {
    const { volumeId } = await create({ name: "validate-no-tag" });
    assert.deepEqual(await validate({ volumeId, parameters: { tagSpecification_2: "cost=ops" } }), {
      confirmed: undefined,
      message: `parameters.tagSpecification_2: volume ${volumeId} has no tag "cost", not "ops"`,
    });
  });

  test("an mkfs option other than the volume context's is unconfirmed, naming both", async () => {
    const volume = await create({ name: "validate-block-size", parameters: { blockSize: "4096" } });
    assert.deepEqual(await validate({ ...volume, parameters: { blockSize: "1024" } }), {
      confirmed: undefined,
      message: `parameters.blockSize: volume ${volume.volumeId}'s context has blockSize 4096, not 1024`,
    });
  });

  test("a filesystem without a volume context cannot be checked and is unconfirmed", async () => {
    const { volumeId } = await create({ name: "validate-fstype" });
    const response = await validate({
      volumeId,
      parameters: { "csi.storage.k8s.io/fstype": "xfs" },
      volumeCapabilities: [mountCapability(Mode.SINGLE_NODE_WRITER, "")],
    });
    assert.deepEqual(response, {
      confirmed: undefined,
      message:
        'parameters.csi.storage.k8s.io/fstype: "xfs" cannot be checked: the cloud does not record it and the request has no volume_context',
    });
  });
});

describe("ValidateVolumeCapabilities on a provider without tiers", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      provider: { name: "digitalocean", capabilities: { ...BALLAST_CAPABILITIES, tiers: false } },
    });
  });
  after(async () => {
    await h.close();
  });

  test("IOPS, which CreateVolume refuses there, are unconfirmed naming the provider", async () => {
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({ name: "validate-plain", volumeCapabilities: [mountCapability()] }),
    );
    const response = await rpc(
      h.controller,
      h.controller.validateVolumeCapabilities,
      ValidateVolumeCapabilitiesRequest.fromPartial({
        volumeId: volume?.volumeId ?? "",
        volumeCapabilities: [mountCapability()],
        parameters: { iops: "3000" },
      }),
    );
    assert.deepEqual(response, {
      confirmed: undefined,
      message:
        'parameters.iops: "3000" cannot be honoured: provider digitalocean does not support volume tiers',
    });
  });
});
