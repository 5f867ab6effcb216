import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type InstanceLookup, resolveNodeIdentity } from "../../src/node/node-identity.js";
import type { NodeIdentitySource } from "../../src/providers/provider.js";

const metadata = (instanceId: string, zone: string): NodeIdentitySource & { calls: number } => ({
  calls: 0,
  async discover() {
    this.calls += 1;
    return { instanceId, zone };
  },
});

const cloudWith = (
  maxAttachedVolumes: number,
  unmanaged: string[],
): InstanceLookup & { asked: string[] } => ({
  asked: [],
  async findInstanceByName(name) {
    this.asked.push(`name ${name}`);
    return { id: "by-name", zone: "nowhere", maxAttachedVolumes, unmanagedAttachedVolumeIds: unmanaged };
  },
  async findInstanceById(id) {
    this.asked.push(`id ${id}`);
    return { id, zone: "cloud-zone", maxAttachedVolumes, unmanagedAttachedVolumeIds: unmanaged };
  },
});

describe("NodeGetInfo with a provider's identity source", () => {
  test("takes the instance id and zone from the metadata service, the limit from the cloud minus unmanaged volumes", async () => {
    const cloud = cloudWith(7, ["boot-disk"]);
    const identity = await resolveNodeIdentity({
      nodeName: "worker-1",
      source: metadata("424242", "nyc1"),
      lookup: cloud,
      defaultMaxVolumes: 7,
      reportStandardZoneKey: false,
    });
    assert.deepEqual(identity, {
      nodeId: "424242",
      zone: "nyc1",
      maxVolumesPerNode: 6,
      topology: { "topology.block.csi.ballast.dev/zone": "nyc1" },
    });
    assert.deepEqual(cloud.asked, ["id 424242"]);
  });

  test("without a cloud to ask, the limit is the provider's per-instance limit", async () => {
    const identity = await resolveNodeIdentity({ source: metadata("424242", "nyc1"), defaultMaxVolumes: 7 });
    assert.equal(identity.maxVolumesPerNode, 7);
  });

  test("--zone and --max-volumes-per-node override what the metadata service and the provider say", async () => {
    const cloud = cloudWith(7, []);
    const identity = await resolveNodeIdentity({
      source: metadata("424242", "nyc1"),
      zone: "nyc3",
      maxVolumesPerNode: 3,
      lookup: cloud,
      defaultMaxVolumes: 7,
    });
    assert.deepEqual([identity.nodeId, identity.zone, identity.maxVolumesPerNode], ["424242", "nyc3", 3]);
    assert.deepEqual(cloud.asked, []);
  });

  test("--node-id wins: the metadata service is not asked", async () => {
    const source = metadata("424242", "nyc1");
    const identity = await resolveNodeIdentity({
      nodeId: "flag-id",
      nodeName: "worker-1",
      source,
      lookup: cloudWith(16, []),
    });
    assert.equal(identity.nodeId, "flag-id");
    assert.equal(source.calls, 0);
  });

  test("--node-id and --zone: the attach limit comes from the instance read by that id", async () => {
    const cloud = cloudWith(7, ["boot-disk"]);
    const identity = await resolveNodeIdentity({
      nodeId: "flag-id",
      zone: "nyc3",
      nodeName: "worker-1",
      source: metadata("424242", "nyc1"),
      lookup: cloud,
      defaultMaxVolumes: 7,
    });
    assert.deepEqual([identity.nodeId, identity.zone, identity.maxVolumesPerNode], ["flag-id", "nyc3", 6]);
    assert.deepEqual(cloud.asked, ["id flag-id"]);
  });

  test("a full instance is FailedPrecondition, never 0 (unlimited)", async () => {
    await assert.rejects(
      resolveNodeIdentity({ source: metadata("424242", "nyc1"), lookup: cloudWith(1, ["boot-disk"]) }),
      { kind: "FailedPrecondition", message: /instance 424242 allows 1 attached volumes and 1 are taken/ },
    );
  });

  test("without an identity source the node is still found by name", async () => {
    const cloud = cloudWith(16, []);
    const identity = await resolveNodeIdentity({ nodeName: "worker-1", lookup: cloud });
    assert.deepEqual(
      [identity.nodeId, identity.zone, identity.maxVolumesPerNode],
      ["by-name", "nowhere", 16],
    );
    assert.deepEqual(cloud.asked, ["name worker-1"]);
  });
});
