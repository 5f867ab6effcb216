import assert from "node:assert/strict";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import {
  CreateVolumeRequest,
  GroupControllerServiceCapability_RPC_Type as GroupRpc,
} from "../../src/generated/csi.js";
import { BALLAST_CAPABILITIES } from "../../src/providers/ballast/index.js";
import { GiB, type Harness, mountCapability, rpc, startHarness } from "./controller-harness.js";

async function refusal(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, details } = error as ServiceError;
    return { code, details };
  }
  throw new Error("the call succeeded");
}

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

describe("GroupController RPCs against the reference cloud", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  async function newVolume(zone = "ref-1a"): Promise<string> {
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name: uniqueName("pvc"),
        capacityRange: { requiredBytes: GiB },
        volumeCapabilities: [mountCapability()],
        accessibilityRequirements: {
          requisite: [{ segments: { "topology.block.csi.ballast.dev/zone": zone } }],
        },
      }),
    );
    assert.ok(volume);
    return volume.volumeId;
  }

  const createGroup = (name: string, sourceVolumeIds: string[], parameters: Record<string, string> = {}) =>
    rpc(h.groupController, h.groupController.createVolumeGroupSnapshot, {
      name,
      sourceVolumeIds,
      secrets: {},
      parameters,
    });

  test("GroupControllerGetCapabilities advertises CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT for ballast", async () => {
    const { capabilities } = await rpc(
      h.groupController,
      h.groupController.groupControllerGetCapabilities,
      {},
    );
    assert.deepEqual(
      capabilities.map((c) => (c.type?.$case === "rpc" ? c.type.value.type : undefined)),
      [GroupRpc.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT],
    );
  });

  test("CreateVolumeGroupSnapshot answers one member per volume, each marked with the group", async () => {
    const volumes = [await newVolume(), await newVolume()];
    const { groupSnapshot } = await createGroup(uniqueName("vgs"), volumes);
    assert.ok(groupSnapshot);
    assert.match(groupSnapshot.groupSnapshotId, /^sg-[0-9a-f]{16}$/);
    assert.deepEqual(
      groupSnapshot.snapshots.map((s) => [s.sourceVolumeId, s.groupSnapshotId, s.sizeBytes]),
      volumes.map((id) => [id, groupSnapshot.groupSnapshotId, GiB]),
    );
    assert.ok(groupSnapshot.creationTime !== undefined);
  });

  test("CreateVolumeGroupSnapshot twice with one name and volumes answers the same group", async () => {
    const volumes = [await newVolume(), await newVolume()];
    const name = uniqueName("vgs");
    const first = await createGroup(name, volumes);
    const second = await createGroup(name, [...volumes].reverse());
    assert.equal(second.groupSnapshot?.groupSnapshotId, first.groupSnapshot?.groupSnapshotId);
    // The CO calls again until ready_to_use; each answer is the same group.
    let { groupSnapshot } = second;
    for (let call = 0; call < 500 && groupSnapshot?.readyToUse === false; call += 1) {
      ({ groupSnapshot } = await createGroup(name, volumes));
    }
    assert.equal(groupSnapshot?.readyToUse, true);
    assert.equal(groupSnapshot?.groupSnapshotId, first.groupSnapshot?.groupSnapshotId);
  });

  test("CreateVolumeGroupSnapshot with a known name and other volumes is AlreadyExists", async () => {
    const volumes = [await newVolume(), await newVolume()];
    const name = uniqueName("vgs");
    await createGroup(name, volumes);
    const { code } = await refusal(createGroup(name, [volumes[0] as string]));
    assert.equal(code, status.ALREADY_EXISTS);
  });

  test("CreateVolumeGroupSnapshot without source volumes is InvalidArgument naming the field", async () => {
    const { code, details } = await refusal(createGroup(uniqueName("vgs"), []));
    assert.equal(code, status.INVALID_ARGUMENT);
    assert.equal(details, "source_volume_ids: is required");
  });

  test("CreateVolumeGroupSnapshot of volumes in two zones is FailedPrecondition", async () => {
    const { code } = await refusal(
      createGroup(uniqueName("vgs"), [await newVolume("ref-1a"), await newVolume("ref-1b")]),
    );
    assert.equal(code, status.FAILED_PRECONDITION);
  });

  test("CreateVolumeGroupSnapshot of a volume id the cloud never issued is NotFound", async () => {
    const { code, details } = await refusal(
      createGroup(uniqueName("vgs"), [await newVolume(), "not-a-volume"]),
    );
    assert.equal(code, status.NOT_FOUND);
    assert.equal(details, "source_volume_ids: volume not-a-volume does not exist");
  });

  test("CreateVolumeGroupSnapshot with an unknown parameter is InvalidArgument naming it", async () => {
    const { code, details } = await refusal(
      createGroup(uniqueName("vgs"), [await newVolume()], { tier: "fast" }),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
    assert.equal(details, "parameters.tier: unknown group snapshot parameter");
  });

  test("CreateVolumeGroupSnapshot whose copy failed in the cloud deletes the failed group, so a retry creates it anew", async () => {
    const volumes = [await newVolume(), await newVolume()];
    const name = uniqueName("vgs");
    const volumeFile = join(h.cloud.dataDir, "volumes", `${volumes[1]}.img`);
    await rename(volumeFile, `${volumeFile}.away`);
    // The copy may fail before the first answer or after it: the CO calls again while not ready.
    let failure: ServiceError | undefined;
    for (let call = 0; failure === undefined; call += 1) {
      assert.ok(call < 400, "the failed copy never surfaced as an error");
      failure = await createGroup(name, volumes).then(
        async (answer) => {
          assert.equal(answer.groupSnapshot?.readyToUse, false);
          await new Promise((resolve) => setTimeout(resolve, 50));
          return undefined;
        },
        (error: ServiceError) => error,
      );
    }
    const failedId = /sg-[0-9a-f]{16}/.exec(failure.details)?.[0];
    assert.equal(failure.code, status.INTERNAL);
    assert.equal(
      failure.details,
      `group snapshot ${failedId} failed in the cloud; it was deleted, a retry creates it anew`,
    );
    const gone = await refusal(
      rpc(h.groupController, h.groupController.getVolumeGroupSnapshot, {
        groupSnapshotId: failedId ?? "",
        snapshotIds: [],
        secrets: {},
      }),
    );
    assert.equal(gone.code, status.NOT_FOUND);
    await rename(`${volumeFile}.away`, volumeFile);
    let { groupSnapshot } = await createGroup(name, volumes);
    for (let call = 0; call < 500 && groupSnapshot?.readyToUse === false; call += 1) {
      ({ groupSnapshot } = await createGroup(name, volumes));
    }
    assert.equal(groupSnapshot?.readyToUse, true);
    assert.notEqual(groupSnapshot?.groupSnapshotId, failedId);
  });

  test("GetVolumeGroupSnapshot answers the group; a list of other snapshot ids is InvalidArgument", async () => {
    const { groupSnapshot } = await createGroup(uniqueName("vgs"), [await newVolume()]);
    assert.ok(groupSnapshot);
    const ids = groupSnapshot.snapshots.map((s) => s.snapshotId);
    const got = await rpc(h.groupController, h.groupController.getVolumeGroupSnapshot, {
      groupSnapshotId: groupSnapshot.groupSnapshotId,
      snapshotIds: ids,
      secrets: {},
    });
    assert.deepEqual(
      got.groupSnapshot?.snapshots.map((s) => s.snapshotId),
      ids,
    );
    const { code } = await refusal(
      rpc(h.groupController, h.groupController.getVolumeGroupSnapshot, {
        groupSnapshotId: groupSnapshot.groupSnapshotId,
        snapshotIds: ["snap-00000000000000ff"],
        secrets: {},
      }),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
  });

  test("GetVolumeGroupSnapshot of a group that does not exist is NotFound", async () => {
    const { code } = await refusal(
      rpc(h.groupController, h.groupController.getVolumeGroupSnapshot, {
        groupSnapshotId: "sg-00000000000000ff",
        snapshotIds: [],
        secrets: {},
      }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  test("GetVolumeGroupSnapshot of an existing group without snapshot_ids is InvalidArgument naming the field", async () => {
    const { groupSnapshot } = await createGroup(uniqueName("vgs"), [await newVolume()]);
    assert.ok(groupSnapshot);
    const { code, details } = await refusal(
      rpc(h.groupController, h.groupController.getVolumeGroupSnapshot, {
        groupSnapshotId: groupSnapshot.groupSnapshotId,
        snapshotIds: [],
        secrets: {},
      }),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
    assert.equal(
      details,
      `snapshot_ids: is required, the snapshots of group snapshot ${groupSnapshot.groupSnapshotId} (${groupSnapshot.snapshots[0]?.snapshotId})`,
    );
  });

  test("DeleteVolumeGroupSnapshot of an existing group without snapshot_ids deletes it, as the external-snapshotter asks when it recorded no members", async () => {
    const { groupSnapshot } = await createGroup(uniqueName("vgs"), [await newVolume()]);
    assert.ok(groupSnapshot);
    await rpc(h.groupController, h.groupController.deleteVolumeGroupSnapshot, {
      groupSnapshotId: groupSnapshot.groupSnapshotId,
      snapshotIds: [],
      secrets: {},
    });
    const gone = await refusal(
      rpc(h.groupController, h.groupController.getVolumeGroupSnapshot, {
        groupSnapshotId: groupSnapshot.groupSnapshotId,
        snapshotIds: groupSnapshot.snapshots.map((s) => s.snapshotId),
        secrets: {},
      }),
    );
    assert.equal(gone.code, status.NOT_FOUND);
  });

  test("a member cannot be deleted alone (InvalidArgument); DeleteVolumeGroupSnapshot removes group and members", async () => {
    const { groupSnapshot } = await createGroup(uniqueName("vgs"), [await newVolume(), await newVolume()]);
    assert.ok(groupSnapshot);
    const [member] = groupSnapshot.snapshots;
    assert.ok(member);
    const alone = await refusal(
      rpc(h.controller, h.controller.deleteSnapshot, { snapshotId: member.snapshotId, secrets: {} }),
    );
    assert.equal(alone.code, status.INVALID_ARGUMENT);
    await rpc(h.groupController, h.groupController.deleteVolumeGroupSnapshot, {
      groupSnapshotId: groupSnapshot.groupSnapshotId,
      snapshotIds: groupSnapshot.snapshots.map((s) => s.snapshotId),
      secrets: {},
    });
    const gone = await refusal(
      rpc(h.controller, h.controller.getSnapshot, { snapshotId: member.snapshotId, secrets: {} }),
    );
    assert.equal(gone.code, status.NOT_FOUND);
    await rpc(h.groupController, h.groupController.deleteVolumeGroupSnapshot, {
      groupSnapshotId: groupSnapshot.groupSnapshotId,
      snapshotIds: [],
      secrets: {},
    });
  });

  test("a member restores into a new volume like any snapshot", async () => {
    const name = uniqueName("vgs");
    const volumes = [await newVolume()];
    let { groupSnapshot } = await createGroup(name, volumes);
    for (let call = 0; call < 500 && groupSnapshot?.readyToUse === false; call += 1) {
      ({ groupSnapshot } = await createGroup(name, volumes));
    }
    assert.equal(groupSnapshot?.readyToUse, true);
    const snapshotId = groupSnapshot?.snapshots[0]?.snapshotId as string;
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name: uniqueName("restored"),
        volumeCapabilities: [mountCapability()],
        volumeContentSource: { type: { $case: "snapshot", value: { snapshotId } } },
      }),
    );
    assert.equal(volume?.contentSource?.type?.$case, "snapshot");
    assert.equal(volume?.capacityBytes, GiB);
  });

  test("group snapshot RPCs are counted like every other RPC", async () => {
    const refused = async () => {
      const text = await h.metrics.registry.getSingleMetricAsString("ballast_csi_operations_total");
      const line = text
        .split("\n")
        .find((l) =>
          l.startsWith(
            'ballast_csi_operations_total{method="CreateVolumeGroupSnapshot",code="INVALID_ARGUMENT"}',
          ),
        );
      return Number(line?.split(" ")[1] ?? 0);
    };
    const before = await refused();
    await refusal(createGroup("", []));
    assert.equal(await refused(), before + 1);
  });
});

describe("GroupController for a provider without group snapshots", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      provider: { name: "hetzner", capabilities: { ...BALLAST_CAPABILITIES, groupSnapshots: false } },
    });
  });
  after(() => h.close());

  test("the service is not served: its RPCs answer Unimplemented", async () => {
    const { code } = await refusal(
      rpc(h.groupController, h.groupController.groupControllerGetCapabilities, {}),
    );
    assert.equal(code, status.UNIMPLEMENTED);
  });
});
