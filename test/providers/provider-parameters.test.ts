import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { refuseUnsupportedParameters } from "../../src/controller/storage-class-parameters.js";
import type { CreateVolumeRequest } from "../../src/generated/csi.js";
import { BALLAST_CAPABILITIES } from "../../src/providers/ballast/index.js";
import type { ProviderProfile } from "../../src/providers/provider.js";
import { type Harness, rpc, startHarness } from "../controller/controller-harness.js";
import { createOneGiBVolume, refusal } from "./controller-calls.js";

/** Everything the ballast API does, but one kind of volume and no encryption settings. */
const PLAIN: ProviderProfile = {
  name: "digitalocean",
  capabilities: { ...BALLAST_CAPABILITIES, tiers: false, encryption: false },
};
const BALLAST: ProviderProfile = { name: "ballast", capabilities: BALLAST_CAPABILITIES };

describe("refuseUnsupportedParameters", () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    [
      "type",
      { type: "performance" },
      'parameters.type: "performance" cannot be honoured: provider digitalocean does not support volume tiers',
    ],
    [
      "iops",
      { iops: "3000" },
      'parameters.iops: "3000" cannot be honoured: provider digitalocean does not support volume tiers',
    ],
    [
      "throughput",
      { throughput: "250" },
      'parameters.throughput: "250" cannot be honoured: provider digitalocean does not support volume tiers',
    ],
    [
      "encrypted",
      { encrypted: "true" },
      'parameters.encrypted: "true" cannot be honoured: provider digitalocean does not support encryption settings',
    ],
    [
      "kmsKeyId",
      { kmsKeyId: "key-1" },
      'parameters.kmsKeyId: "key-1" cannot be honoured: provider digitalocean does not support encryption settings',
    ],
  ];
  for (const [key, parameters, message] of cases) {
    test(`refuses ${key} on a provider without it, naming the parameter, the value and the provider`, () => {
      assert.throws(() => refuseUnsupportedParameters(PLAIN, "parameters", parameters), {
        kind: "InvalidArgument",
        message,
      });
    });
  }

  test("accepts encrypted=false, which asks for nothing", () => {
    assert.doesNotThrow(() => refuseUnsupportedParameters(PLAIN, "parameters", { encrypted: "false" }));
  });

  test("accepts parameters that do not depend on the provider", () => {
    assert.doesNotThrow(() =>
      refuseUnsupportedParameters(PLAIN, "parameters", {
        "csi.storage.k8s.io/fstype": "xfs",
        tagSpecification_1: "a=b",
      }),
    );
  });

  test("accepts every parameter on a provider that has tiers and encryption", () => {
    assert.doesNotThrow(() =>
      refuseUnsupportedParameters(BALLAST, "parameters", {
        type: "performance",
        iops: "3000",
        encrypted: "true",
      }),
    );
  });
});

describe("CreateVolume and GetCapacity on a provider without tiers or encryption", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ provider: PLAIN });
  });
  after(async () => {
    await h.close();
  });

  const create = (name: string, extra: Partial<CreateVolumeRequest>) => createOneGiBVolume(h, name, extra);

  test("a StorageClass type is InvalidArgument, and no volume is made", async () => {
    assert.deepEqual(await refusal(create("typed", { parameters: { type: "performance" } })), {
      code: status.INVALID_ARGUMENT,
      details:
        'parameters.type: "performance" cannot be honoured: provider digitalocean does not support volume tiers',
    });
    const listed = await h.api.listVolumes({}, { deadline: Date.now() + 5000 });
    assert.deepEqual(listed.items, []);
  });

  test("encryption is InvalidArgument", async () => {
    assert.deepEqual(await refusal(create("sealed", { parameters: { encrypted: "true" } })), {
      code: status.INVALID_ARGUMENT,
      details:
        'parameters.encrypted: "true" cannot be honoured: provider digitalocean does not support encryption settings',
    });
  });

  test("VolumeAttributesClass iops is InvalidArgument under mutable_parameters", async () => {
    assert.deepEqual(await refusal(create("fast", { mutableParameters: { iops: "5000" } })), {
      code: status.INVALID_ARGUMENT,
      details:
        'mutable_parameters.iops: "5000" cannot be honoured: provider digitalocean does not support volume tiers',
    });
  });

  test("GetCapacity for a tier is InvalidArgument", async () => {
    const answer = await refusal(
      rpc(h.controller, h.controller.getCapacity, {
        volumeCapabilities: [],
        parameters: { type: "balanced" },
        accessibleTopology: undefined,
      }),
    );
    assert.deepEqual(answer, {
      code: status.INVALID_ARGUMENT,
      details:
        'parameters.type: "balanced" cannot be honoured: provider digitalocean does not support volume tiers',
    });
  });
});
