import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  GroupControllerServiceCapability_RPC_Type as GroupRpc,
  PluginCapability_Service_Type as ServiceType,
} from "../../src/generated/csi.js";
import { requireService } from "./capabilities.js";
import { forEachFace } from "./faces.js";
import { Cleanup, eventually, expectCode, mountCapability, uniqueName, volumeSizes } from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

/** What csi-sanity's GenerateInvalidVolumeID gives: an id of no shape the cloud issues. */
const FOREIGN_ID = "fake-volume-id";

async function newVolume(system: DevSystem, cleanup: Cleanup): Promise<string> {
  const { volume } = await system.csi.controller.createVolume({
    name: uniqueName("groupsrc"),
    volumeCapabilities: [mountCapability()],
    capacityRange: { requiredBytes: (await volumeSizes(system)).smallest },
  });
  assert.ok(volume);
  return cleanup.volume(volume.volumeId);
}

/** The six GroupController specs of csi-sanity, then the create-get-delete path they leave out. */
forEachFace("GroupController over the dev socket", (face) => {
  const system = useDevSystem({ face });
  /** csi-sanity runs its GroupController specs only for a driver that advertises the service. */
  const spec = (title: string, body: (t: TestContext) => Promise<void>) =>
    test(title, async (t) => {
      if (await requireService(t, system(), ServiceType.GROUP_CONTROLLER_SERVICE)) await body(t);
    });

  test("GroupController RPCs are Unimplemented where the service is not advertised", async (t) => {
    const { capabilities } = await system().csi.identity.getPluginCapabilities();
    const services = capabilities.flatMap((c) => (c.type?.$case === "service" ? [c.type.value.type] : []));
    if (services.includes(ServiceType.GROUP_CONTROLLER_SERVICE)) {
      t.skip("the driver advertises GROUP_CONTROLLER_SERVICE");
      return;
    }
    await expectCode(system().csi.groupController.groupControllerGetCapabilities({}), status.UNIMPLEMENTED);
    await expectCode(
      system().csi.groupController.createVolumeGroupSnapshot({ name: uniqueName("vgs") }),
      status.UNIMPLEMENTED,
    );
  });

  spec("GroupControllerGetCapabilities answers only capabilities the spec defines", async () => {
    const { capabilities } = await system().csi.groupController.groupControllerGetCapabilities({});
    assert.deepEqual(
      capabilities.map((c) => (c.type?.$case === "rpc" ? c.type.value.type : undefined)),
      [GroupRpc.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT],
    );
  });

  spec("CreateVolumeGroupSnapshot without a name is InvalidArgument", async () => {
    await expectCode(system().csi.groupController.createVolumeGroupSnapshot({}), status.INVALID_ARGUMENT);
  });

  spec("GetVolumeGroupSnapshot without an id is InvalidArgument", async () => {
    await expectCode(system().csi.groupController.getVolumeGroupSnapshot({}), status.INVALID_ARGUMENT);
  });

  spec("GetVolumeGroupSnapshot of an id the cloud never issued is NotFound", async () => {
    await expectCode(
      system().csi.groupController.getVolumeGroupSnapshot({ groupSnapshotId: FOREIGN_ID }),
      status.NOT_FOUND,
    );
  });

  spec("DeleteVolumeGroupSnapshot without an id is InvalidArgument", async () => {
    await expectCode(system().csi.groupController.deleteVolumeGroupSnapshot({}), status.INVALID_ARGUMENT);
  });

  spec("DeleteVolumeGroupSnapshot of an id the cloud never issued succeeds", async () => {
    await system().csi.groupController.deleteVolumeGroupSnapshot({ groupSnapshotId: FOREIGN_ID });
  });

  spec(
    "a group snapshot of two volumes becomes ready, lists its members, and deletes with them",
    async (t) => {
      const cleanup = Cleanup.for(t, system());
      const volumes = [await newVolume(system(), cleanup), await newVolume(system(), cleanup)];
      const name = uniqueName("vgs");
      const { groupController, controller } = system().csi;
      const ready = await eventually("group snapshot ready_to_use", async () => {
        const { groupSnapshot } = await groupController.createVolumeGroupSnapshot({
          name,
          sourceVolumeIds: volumes,
        });
        return groupSnapshot?.readyToUse ? groupSnapshot : undefined;
      });
      const memberIds = ready.snapshots.map((s) => s.snapshotId);
      const listed = await controller.listSnapshots({ sourceVolumeId: volumes[0] });
      assert.deepEqual(
        listed.entries.map((e) => [e.snapshot?.snapshotId, e.snapshot?.groupSnapshotId]),
        [[memberIds[0], ready.groupSnapshotId]],
      );
      await groupController.deleteVolumeGroupSnapshot({
        groupSnapshotId: ready.groupSnapshotId,
        snapshotIds: memberIds,
      });
      await expectCode(
        groupController.getVolumeGroupSnapshot({ groupSnapshotId: ready.groupSnapshotId }),
        status.NOT_FOUND,
      );
      assert.deepEqual((await controller.listSnapshots({ sourceVolumeId: volumes[0] })).entries, []);
    },
  );
});
