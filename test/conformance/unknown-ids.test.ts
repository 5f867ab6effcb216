import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { Cleanup, expectCode, GiB, Mode, mountCapability, uniqueName } from "./fixtures.js";
import { useDevSystem } from "./harness.js";

/**
 * Ids the cloud would never issue (another shape, another provider's, garbage) name nothing: the
 * spec answers them as "does not exist" — NotFound, OK for deletes, an empty list for a list
 * filter — never as the cloud's validation error.
 */
const MALFORMED_IDS = ["not-a-volume-id", "vol-XYZ", "snap-0000", "i-../../etc", "x".repeat(128)];

describe("ids of a shape the cloud never issues, over the dev socket", () => {
  const system = useDevSystem();

  for (const id of MALFORMED_IDS) {
    const shown = id.length > 20 ? `${id.slice(0, 8)}… (${id.length} bytes)` : id;

    test(`ListSnapshots filtered by source volume ${shown} answers an empty list`, async () => {
      const answer = await system().csi.controller.listSnapshots({ sourceVolumeId: id });
      assert.deepEqual(answer.entries, []);
      assert.equal(answer.nextToken, "");
    });

    test(`ListSnapshots filtered by snapshot ${shown} answers an empty list`, async () => {
      const answer = await system().csi.controller.listSnapshots({ snapshotId: id });
      assert.deepEqual(answer.entries, []);
    });

    test(`GetSnapshot of ${shown} is NotFound`, async () => {
      await expectCode(system().csi.controller.getSnapshot({ snapshotId: id }), status.NOT_FOUND);
    });

    test(`DeleteSnapshot of ${shown} is OK`, async () => {
      await system().csi.controller.deleteSnapshot({ snapshotId: id });
    });

    test(`CreateSnapshot of source volume ${shown} is NotFound`, async () => {
      await expectCode(
        system().csi.controller.createSnapshot({ name: uniqueName("badsource"), sourceVolumeId: id }),
        status.NOT_FOUND,
      );
    });

    test(`ControllerGetVolume of ${shown} is NotFound`, async () => {
      await expectCode(system().csi.controller.controllerGetVolume({ volumeId: id }), status.NOT_FOUND);
    });

    test(`ControllerExpandVolume of ${shown} is NotFound`, async () => {
      await expectCode(
        system().csi.controller.controllerExpandVolume({
          volumeId: id,
          capacityRange: { requiredBytes: GiB },
        }),
        status.NOT_FOUND,
      );
    });

    test(`ControllerModifyVolume of ${shown} is NotFound`, async () => {
      await expectCode(
        system().csi.controller.controllerModifyVolume({
          volumeId: id,
          mutableParameters: { type: "performance" },
        }),
        status.NOT_FOUND,
      );
    });

    test(`ValidateVolumeCapabilities of ${shown} is NotFound`, async () => {
      await expectCode(
        system().csi.controller.validateVolumeCapabilities({
          volumeId: id,
          volumeCapabilities: [mountCapability()],
        }),
        status.NOT_FOUND,
      );
    });

    test(`DeleteVolume of ${shown} is OK`, async () => {
      await system().csi.controller.deleteVolume({ volumeId: id });
    });

    test(`ControllerPublishVolume of volume ${shown} is NotFound`, async () => {
      const { nodeId } = await system().csi.node.nodeGetInfo({});
      await expectCode(
        system().csi.controller.controllerPublishVolume({
          volumeId: id,
          nodeId,
          volumeCapability: mountCapability(),
        }),
        status.NOT_FOUND,
      );
    });

    test(`ControllerPublishVolume to node ${shown} is NotFound`, async (t) => {
      const cleanup = Cleanup.for(t, system());
      const { volume } = await system().csi.controller.createVolume({
        name: uniqueName("badnode"),
        volumeCapabilities: [mountCapability()],
      });
      assert.ok(volume);
      cleanup.volume(volume.volumeId);
      const details = await expectCode(
        system().csi.controller.controllerPublishVolume({
          volumeId: volume.volumeId,
          nodeId: id,
          volumeCapability: mountCapability("ext4", Mode.SINGLE_NODE_WRITER),
          volumeContext: volume.volumeContext,
        }),
        status.NOT_FOUND,
      );
      assert.match(details, /node_id/);
    });

    test(`ControllerUnpublishVolume of volume ${shown} is OK`, async () => {
      const { nodeId } = await system().csi.node.nodeGetInfo({});
      await system().csi.controller.controllerUnpublishVolume({ volumeId: id, nodeId });
    });

    test(`CreateVolume from snapshot ${shown} is NotFound`, async () => {
      await expectCode(
        system().csi.controller.createVolume({
          name: uniqueName("badsnap"),
          volumeCapabilities: [mountCapability()],
          volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: id } } },
        }),
        status.NOT_FOUND,
      );
    });

    test(`CreateVolume cloning volume ${shown} is NotFound`, async () => {
      await expectCode(
        system().csi.controller.createVolume({
          name: uniqueName("badclone"),
          volumeCapabilities: [mountCapability()],
          volumeContentSource: { type: { $case: "volume", value: { volumeId: id } } },
        }),
        status.NOT_FOUND,
      );
    });
  }
});
