import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { ControllerCapability, requireController } from "./capabilities.js";
import { forEachFace } from "./faces.js";
import { Cleanup, expectCode, GiB, Mode, mountCapability, uniqueName } from "./fixtures.js";
import { useDevSystem } from "./harness.js";

/**
 * Ids the cloud would never issue (another shape, another provider's, garbage) name nothing: the
 * spec answers them as "does not exist" — NotFound, OK for deletes, an empty list for a list
 * filter — never as the cloud's validation error.
 */
const MALFORMED_IDS = ["not-a-volume-id", "vol-XYZ", "snap-0000", "i-../../etc", "x".repeat(128)];

forEachFace("ids of a shape the cloud never issues, over the dev socket", (face) => {
  const system = useDevSystem({ face });
  const {
    LIST_SNAPSHOTS,
    GET_SNAPSHOT,
    CREATE_DELETE_SNAPSHOT,
    GET_VOLUME,
    EXPAND_VOLUME,
    MODIFY_VOLUME,
    PUBLISH_UNPUBLISH_VOLUME,
    CLONE_VOLUME,
  } = ControllerCapability;
  /** A spec of these capabilities (none: a mandatory RPC), skipped where one is not advertised. */
  const spec = (
    title: string,
    capabilities: ControllerCapability[],
    body: (t: TestContext) => Promise<void>,
  ) =>
    test(title, async (t) => {
      if (await requireController(t, system(), ...capabilities)) await body(t);
    });

  for (const id of MALFORMED_IDS) {
    const shown = id.length > 20 ? `${id.slice(0, 8)}… (${id.length} bytes)` : id;

    spec(
      `ListSnapshots filtered by source volume ${shown} answers an empty list`,
      [LIST_SNAPSHOTS],
      async () => {
        const answer = await system().csi.controller.listSnapshots({ sourceVolumeId: id });
        assert.deepEqual(answer.entries, []);
        assert.equal(answer.nextToken, "");
      },
    );

    spec(`ListSnapshots filtered by snapshot ${shown} answers an empty list`, [LIST_SNAPSHOTS], async () => {
      const answer = await system().csi.controller.listSnapshots({ snapshotId: id });
      assert.deepEqual(answer.entries, []);
    });

    spec(`GetSnapshot of ${shown} is NotFound`, [GET_SNAPSHOT], async () => {
      await expectCode(system().csi.controller.getSnapshot({ snapshotId: id }), status.NOT_FOUND);
    });

    spec(`DeleteSnapshot of ${shown} is OK`, [CREATE_DELETE_SNAPSHOT], async () => {
      await system().csi.controller.deleteSnapshot({ snapshotId: id });
    });

    spec(`CreateSnapshot of source volume ${shown} is NotFound`, [CREATE_DELETE_SNAPSHOT], async () => {
      await expectCode(
        system().csi.controller.createSnapshot({ name: uniqueName("badsource"), sourceVolumeId: id }),
        status.NOT_FOUND,
      );
    });

    spec(`ControllerGetVolume of ${shown} is NotFound`, [GET_VOLUME], async () => {
      await expectCode(system().csi.controller.controllerGetVolume({ volumeId: id }), status.NOT_FOUND);
    });

    spec(`ControllerExpandVolume of ${shown} is NotFound`, [EXPAND_VOLUME], async () => {
      await expectCode(
        system().csi.controller.controllerExpandVolume({
          volumeId: id,
          capacityRange: { requiredBytes: GiB },
        }),
        status.NOT_FOUND,
      );
    });

    spec(`ControllerModifyVolume of ${shown} is NotFound`, [MODIFY_VOLUME], async () => {
      await expectCode(
        system().csi.controller.controllerModifyVolume({
          volumeId: id,
          mutableParameters: { type: "performance" },
        }),
        status.NOT_FOUND,
      );
    });

    spec(`ValidateVolumeCapabilities of ${shown} is NotFound`, [], async () => {
      await expectCode(
        system().csi.controller.validateVolumeCapabilities({
          volumeId: id,
          volumeCapabilities: [mountCapability()],
        }),
        status.NOT_FOUND,
      );
    });

    spec(`DeleteVolume of ${shown} is OK`, [], async () => {
      await system().csi.controller.deleteVolume({ volumeId: id });
    });

    spec(`ControllerPublishVolume of volume ${shown} is NotFound`, [PUBLISH_UNPUBLISH_VOLUME], async () => {
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

    spec(`ControllerPublishVolume to node ${shown} is NotFound`, [PUBLISH_UNPUBLISH_VOLUME], async (t) => {
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

    spec(`ControllerUnpublishVolume of volume ${shown} is OK`, [PUBLISH_UNPUBLISH_VOLUME], async () => {
      const { nodeId } = await system().csi.node.nodeGetInfo({});
      await system().csi.controller.controllerUnpublishVolume({ volumeId: id, nodeId });
    });

    spec(`CreateVolume from snapshot ${shown} is NotFound`, [CREATE_DELETE_SNAPSHOT], async () => {
      await expectCode(
        system().csi.controller.createVolume({
          name: uniqueName("badsnap"),
          volumeCapabilities: [mountCapability()],
          volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: id } } },
        }),
        status.NOT_FOUND,
      );
    });

    spec(`CreateVolume cloning volume ${shown} is NotFound`, [CLONE_VOLUME], async () => {
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
