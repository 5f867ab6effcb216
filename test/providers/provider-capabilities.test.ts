import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  type CreateVolumeRequest,
  VolumeCapability_AccessMode_Mode as Mode,
  ControllerServiceCapability_RPC_Type as Rpc,
} from "../../src/generated/csi.js";
import { BALLAST_CAPABILITIES } from "../../src/providers/ballast/index.js";
import type { ProviderProfile } from "../../src/providers/provider.js";
import { blockCapability, type Harness, rpc, startHarness } from "../controller/controller-harness.js";
import { createOneGiBVolume, refusal } from "./controller-calls.js";

/** A provider that can do nothing optional: every capability off, against the same reference cloud. */
const BARE: ProviderProfile = {
  name: "digitalocean",
  capabilities: {
    snapshots: false,
    listSnapshots: false,
    clones: false,
    modify: false,
    multiAttach: false,
    readOnlyAttach: false,
    tiers: false,
    encryption: false,
    capacity: false,
    groupSnapshots: false,
  },
};

async function advertised(h: Harness): Promise<Rpc[]> {
  const response = await rpc(h.controller, h.controller.controllerGetCapabilities, {});
  return response.capabilities.map((c) => (c.type?.$case === "rpc" ? c.type.value.type : -1));
}

const BASE = [
  Rpc.CREATE_DELETE_VOLUME,
  Rpc.PUBLISH_UNPUBLISH_VOLUME,
  Rpc.LIST_VOLUMES,
  Rpc.PUBLISH_READONLY,
  Rpc.EXPAND_VOLUME,
  Rpc.LIST_VOLUMES_PUBLISHED_NODES,
  Rpc.VOLUME_CONDITION,
  Rpc.GET_VOLUME,
  Rpc.SINGLE_NODE_MULTI_WRITER,
];
const sorted = (rpcs: Rpc[]) => [...rpcs].sort((a, b) => a - b);

describe("ControllerGetCapabilities follows the provider's capability set", () => {
  test("the ballast provider advertises every controller capability the driver serves", async () => {
    const h = await startHarness();
    try {
      assert.deepEqual(
        await advertised(h),
        sorted([
          ...BASE,
          Rpc.GET_CAPACITY,
          Rpc.CREATE_DELETE_SNAPSHOT,
          Rpc.GET_SNAPSHOT,
          Rpc.LIST_SNAPSHOTS,
          Rpc.CLONE_VOLUME,
          Rpc.MODIFY_VOLUME,
        ]),
      );
    } finally {
      await h.close();
    }
  });

  test("a provider with snapshots but no listing, clones, modify or capacity advertises only snapshots", async () => {
    const h = await startHarness({
      provider: { name: "digitalocean", capabilities: { ...BARE.capabilities, snapshots: true } },
    });
    try {
      assert.deepEqual(await advertised(h), sorted([...BASE, Rpc.CREATE_DELETE_SNAPSHOT, Rpc.GET_SNAPSHOT]));
    } finally {
      await h.close();
    }
  });
});

describe("a provider without the optional capabilities", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ provider: BARE });
  });
  after(async () => {
    await h.close();
  });

  const create = (name: string, extra: Partial<CreateVolumeRequest> = {}) =>
    createOneGiBVolume(h, name, extra);

  test("advertises none of them", async () => {
    assert.deepEqual(await advertised(h), sorted(BASE));
  });

  const unimplemented: Array<[string, () => Promise<unknown>, string]> = [
    [
      "CreateSnapshot",
      () =>
        rpc(h.controller, h.controller.createSnapshot, {
          name: "s1",
          sourceVolumeId: "vol-0123456789abcdef",
          secrets: {},
          parameters: {},
        }),
      "CreateSnapshot: provider digitalocean does not support snapshots",
    ],
    [
      "DeleteSnapshot",
      () =>
        rpc(h.controller, h.controller.deleteSnapshot, { snapshotId: "snap-0123456789abcdef", secrets: {} }),
      "DeleteSnapshot: provider digitalocean does not support snapshots",
    ],
    [
      "GetSnapshot",
      () => rpc(h.controller, h.controller.getSnapshot, { snapshotId: "snap-0123456789abcdef", secrets: {} }),
      "GetSnapshot: provider digitalocean does not support snapshots",
    ],
    [
      "ListSnapshots",
      () =>
        rpc(h.controller, h.controller.listSnapshots, {
          maxEntries: 0,
          startingToken: "",
          sourceVolumeId: "",
          snapshotId: "",
          secrets: {},
        }),
      "ListSnapshots: provider digitalocean does not support listing snapshots",
    ],
    [
      "ControllerModifyVolume",
      () =>
        rpc(h.controller, h.controller.controllerModifyVolume, {
          volumeId: "vol-0123456789abcdef",
          secrets: {},
          mutableParameters: {},
        }),
      "ControllerModifyVolume: provider digitalocean does not support modifying volumes",
    ],
    [
      "GetCapacity",
      () =>
        rpc(h.controller, h.controller.getCapacity, {
          volumeCapabilities: [],
          parameters: {},
          accessibleTopology: undefined,
        }),
      "GetCapacity: provider digitalocean does not support capacity reports",
    ],
  ];
  for (const [name, call, details] of unimplemented) {
    test(`${name} answers Unimplemented naming the capability and the provider`, async () => {
      assert.deepEqual(await refusal(call()), { code: status.UNIMPLEMENTED, details });
    });
  }

  test("CreateVolume from a snapshot is InvalidArgument naming the field and the provider", async () => {
    const answer = await refusal(
      create("restored", {
        volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: "snap-0123456789abcdef" } } },
      }),
    );
    assert.deepEqual(answer, {
      code: status.INVALID_ARGUMENT,
      details:
        "volume_content_source.snapshot: provider digitalocean cannot restore a volume from a snapshot",
    });
  });

  test("CreateVolume from a volume (a clone) is InvalidArgument naming the field and the provider", async () => {
    const answer = await refusal(
      create("cloned", {
        volumeContentSource: { type: { $case: "volume", value: { volumeId: "vol-0123456789abcdef" } } },
      }),
    );
    assert.deepEqual(answer, {
      code: status.INVALID_ARGUMENT,
      details: "volume_content_source.volume: provider digitalocean cannot clone a volume",
    });
  });

  test("CreateVolume with MULTI_NODE_READER_ONLY is InvalidArgument naming the provider", async () => {
    const answer = await refusal(
      create("shared", { volumeCapabilities: [blockCapability(Mode.MULTI_NODE_READER_ONLY)] }),
    );
    assert.deepEqual(answer, {
      code: status.INVALID_ARGUMENT,
      details:
        "volume_capabilities[0]: access mode MULTI_NODE_READER_ONLY is not supported: provider digitalocean does not attach a volume to several nodes",
    });
  });

  test("ValidateVolumeCapabilities does not confirm MULTI_NODE_READER_ONLY, and says why", async () => {
    const volumeId = (await create("plain")).volume?.volumeId ?? "";
    const response = await rpc(h.controller, h.controller.validateVolumeCapabilities, {
      volumeId,
      volumeContext: {},
      volumeCapabilities: [blockCapability(Mode.MULTI_NODE_READER_ONLY)],
      parameters: {},
      mutableParameters: {},
      secrets: {},
    });
    assert.equal(response.confirmed, undefined);
    assert.equal(
      response.message,
      "volume_capabilities[0]: access mode MULTI_NODE_READER_ONLY is not supported: provider digitalocean does not attach a volume to several nodes",
    );
  });

  test("CreateVolume without tier parameters makes the cloud's first kind of volume, not --default-volume-type", async () => {
    const volume = (await create("default-kind")).volume;
    assert.equal(
      volume?.volumeContext.volumeType,
      (await h.api.listVolumeTypes({ deadline: Date.now() + 5000 }))[0]?.name,
    );
  });
});

describe("the capability set, not the name, decides", () => {
  test("a provider named ballast with snapshots off still refuses CreateSnapshot", async () => {
    const h = await startHarness({
      provider: { name: "ballast", capabilities: { ...BALLAST_CAPABILITIES, snapshots: false } },
    });
    try {
      const answer = await refusal(
        rpc(h.controller, h.controller.createSnapshot, {
          name: "s1",
          sourceVolumeId: "vol-0123456789abcdef",
          secrets: {},
          parameters: {},
        }),
      );
      assert.deepEqual(answer, {
        code: status.UNIMPLEMENTED,
        details: "CreateSnapshot: provider ballast does not support snapshots",
      });
    } finally {
      await h.close();
    }
  });
});
