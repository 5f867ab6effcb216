import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateVolumeRequest, VolumeCapability_AccessMode_Mode as Mode } from "../../src/generated/csi.js";
import { GiB, type Harness, mountCapability, rpc, startHarness } from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";
const POOL_BYTES = 100n * GiB;

describe("GetCapacity against a reference cloud with 100 GiB pools", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ cloud: { poolCapacityBytes: Number(POOL_BYTES) } });
    await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name: "pvc-fills-1a",
        volumeCapabilities: [mountCapability()],
        parameters: { type: "standard" },
        capacityRange: { requiredBytes: 60n * GiB, limitBytes: 0n },
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1a" } }], preferred: [] },
      }),
    );
  });
  after(async () => {
    await h.close();
  });

  const capacity = (zone?: string, capability = mountCapability()) =>
    rpc(h.controller, h.controller.getCapacity, {
      volumeCapabilities: [capability],
      parameters: { type: "standard" },
      accessibleTopology: zone === undefined ? undefined : { segments: { [ZONE_KEY]: zone } },
    });

  test("in a zone, maximum_volume_size is what that zone's pool can still take, not the tier maximum", async () => {
    const response = await capacity("ref-1a");
    assert.equal(response.availableCapacity, 40n * GiB);
    assert.equal(response.maximumVolumeSize, 40n * GiB);
    assert.equal(response.minimumVolumeSize, GiB);
  });

  test("without topology, capacity is summed over the zones and maximum_volume_size is the roomiest pool's", async () => {
    const zones = await h.api.listZones({ deadline: Date.now() + 5000 });
    const response = await capacity();
    assert.equal(response.availableCapacity, BigInt(zones.length) * POOL_BYTES - 60n * GiB);
    assert.equal(response.maximumVolumeSize, POOL_BYTES);
  });

  test("a capability the tier cannot serve has neither capacity nor a volume size", async () => {
    const response = await capacity("ref-1b", mountCapability(Mode.MULTI_NODE_READER_ONLY));
    assert.equal(response.availableCapacity, 0n);
    assert.equal(response.maximumVolumeSize, 0n);
  });
});

describe("zones that accept no new volumes", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      cloud: {
        poolCapacityBytes: Number(POOL_BYTES),
        zones: [
          { name: "ref-1a", region: "ref-1", status: "unavailable" },
          { name: "ref-1b", region: "ref-1", status: "available" },
          { name: "ref-1c", region: "ref-1", status: "available" },
        ],
      },
    });
  });
  after(async () => {
    await h.close();
  });

  const create = (
    name: string,
    accessibilityRequirements?: CreateVolumeRequest["accessibilityRequirements"],
  ) =>
    rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name,
        volumeCapabilities: [mountCapability()],
        parameters: { type: "standard" },
        accessibilityRequirements,
      }),
    );
  const segment = (zone: string) => ({ segments: { [ZONE_KEY]: zone } });

  test("CreateVolume without topology goes to the first zone that accepts volumes", async () => {
    const { volume } = await create("pvc-no-topology");
    assert.deepEqual(volume?.accessibleTopology, [segment("ref-1b")]);
  });

  test("CreateVolume skips a preferred zone that accepts no volumes for the next allowed one", async () => {
    const { volume } = await create("pvc-preferred-closed", {
      requisite: [segment("ref-1a"), segment("ref-1c")],
      preferred: [segment("ref-1a")],
    });
    assert.deepEqual(volume?.accessibleTopology, [segment("ref-1c")]);
  });

  test("GetCapacity of a zone that accepts no volumes is 0, from the driver and from the cloud", async () => {
    const response = await rpc(h.controller, h.controller.getCapacity, {
      volumeCapabilities: [mountCapability()],
      parameters: { type: "standard" },
      accessibleTopology: segment("ref-1a"),
    });
    assert.equal(response.availableCapacity, 0n);
    assert.equal(response.maximumVolumeSize, 0n);
    const cloud = await h.api.getCapacity(
      { zone: "ref-1a", type: "standard" },
      { deadline: Date.now() + 5000 },
    );
    assert.equal(cloud.availableBytes, 0);
    assert.equal(cloud.maximumVolumeSizeBytes, 0);
  });
});
