import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ControllerServiceCapability_RPC_Type as ControllerCapability,
  NodeServiceCapability_RPC_Type as NodeCapability,
} from "../../src/generated/csi.js";
import { forEachFace } from "./faces.js";
import {
  Cleanup,
  eventually,
  inZone,
  Mode,
  mountCapability,
  readySnapshot,
  uniqueName,
  volumeSizes,
} from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

type Exercise = (system: DevSystem, cleanup: Cleanup) => Promise<void>;

async function remoteInstance(system: DevSystem) {
  const local = await system.csi.node.nodeGetInfo();
  const instance = (await system.view.instances()).find((candidate) => candidate.id !== local.nodeId);
  assert.ok(instance, "the reference cloud has an API-only instance");
  return instance;
}

async function createVolume(system: DevSystem, cleanup: Cleanup, zone?: string): Promise<string> {
  const { volume } = await system.csi.controller.createVolume({
    name: uniqueName("cap"),
    volumeCapabilities: [mountCapability()],
    capacityRange: { requiredBytes: (await volumeSizes(system)).smallest },
    ...(zone === undefined ? {} : { accessibilityRequirements: inZone(zone) }),
  });
  assert.ok(volume);
  return cleanup.volume(volume.volumeId);
}

async function publishedVolume(system: DevSystem, cleanup: Cleanup, readonly = false) {
  const instance = await remoteInstance(system);
  const volumeId = await createVolume(system, cleanup, instance.zone);
  cleanup.controllerPublish(volumeId, instance.id);
  await system.csi.controller.controllerPublishVolume({
    volumeId,
    nodeId: instance.id,
    volumeCapability: mountCapability(
      "ext4",
      readonly ? Mode.SINGLE_NODE_READER_ONLY : Mode.SINGLE_NODE_WRITER,
    ),
    readonly,
  });
  return { volumeId, nodeId: instance.id };
}

/** The smallest call that proves each controller capability works, not just that it is claimed. */
const CONTROLLER_EXERCISES: Partial<Record<ControllerCapability, Exercise>> = {
  [ControllerCapability.CREATE_DELETE_VOLUME]: async (system, cleanup) => {
    const volumeId = await createVolume(system, cleanup);
    await system.csi.controller.deleteVolume({ volumeId });
  },
  [ControllerCapability.PUBLISH_UNPUBLISH_VOLUME]: async (system, cleanup) => {
    const { volumeId, nodeId } = await publishedVolume(system, cleanup);
    await system.csi.controller.controllerUnpublishVolume({ volumeId, nodeId });
  },
  [ControllerCapability.LIST_VOLUMES]: async (system, cleanup) => {
    const volumeId = await createVolume(system, cleanup);
    const { entries } = await system.csi.controller.listVolumes({ maxEntries: 1000 });
    assert.ok(entries.some((entry) => entry.volume?.volumeId === volumeId));
  },
  [ControllerCapability.GET_CAPACITY]: async (system) => {
    const capacity = await system.csi.controller.getCapacity({ volumeCapabilities: [mountCapability()] });
    assert.ok(capacity.availableCapacity > 0n);
  },
  [ControllerCapability.CREATE_DELETE_SNAPSHOT]: async (system, cleanup) => {
    const sourceVolumeId = await createVolume(system, cleanup);
    const snapshot = await readySnapshot(system, cleanup, uniqueName("cap"), sourceVolumeId);
    await system.csi.controller.deleteSnapshot({ snapshotId: snapshot.snapshotId });
  },
  [ControllerCapability.LIST_SNAPSHOTS]: async (system, cleanup) => {
    const sourceVolumeId = await createVolume(system, cleanup);
    const snapshot = await readySnapshot(system, cleanup, uniqueName("cap"), sourceVolumeId);
    const { entries } = await system.csi.controller.listSnapshots({ sourceVolumeId });
    assert.deepEqual(
      entries.map((entry) => entry.snapshot?.snapshotId),
      [snapshot.snapshotId],
    );
  },
  [ControllerCapability.CLONE_VOLUME]: async (system, cleanup) => {
    const volumeId = await createVolume(system, cleanup);
    const { volume } = await system.csi.controller.createVolume({
      name: uniqueName("capclone"),
      volumeCapabilities: [mountCapability()],
      volumeContentSource: { type: { $case: "volume", value: { volumeId } } },
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
  },
  [ControllerCapability.PUBLISH_READONLY]: async (system, cleanup) => {
    const { volumeId, nodeId } = await publishedVolume(system, cleanup, true);
    await system.csi.controller.controllerUnpublishVolume({ volumeId, nodeId });
  },
  [ControllerCapability.EXPAND_VOLUME]: async (system, cleanup) => {
    const volumeId = await createVolume(system, cleanup);
    const grown = (await volumeSizes(system)).of(1);
    const answer = await system.csi.controller.controllerExpandVolume({
      volumeId,
      capacityRange: { requiredBytes: grown },
    });
    assert.ok(answer.capacityBytes >= grown);
  },
  [ControllerCapability.LIST_VOLUMES_PUBLISHED_NODES]: async (system, cleanup) => {
    const { volumeId, nodeId } = await publishedVolume(system, cleanup);
    const { entries } = await system.csi.controller.listVolumes({ maxEntries: 1000 });
    const entry = entries.find((candidate) => candidate.volume?.volumeId === volumeId);
    assert.deepEqual(entry?.status?.publishedNodeIds, [nodeId]);
  },
  [ControllerCapability.VOLUME_CONDITION]: async (system, cleanup) => {
    const volumeId = await createVolume(system, cleanup);
    const answer = await system.csi.controller.controllerGetVolume({ volumeId });
    assert.equal(answer.status?.volumeCondition?.abnormal, false);
  },
  [ControllerCapability.GET_VOLUME]: async (system, cleanup) => {
    const volumeId = await createVolume(system, cleanup);
    const answer = await system.csi.controller.controllerGetVolume({ volumeId });
    assert.equal(answer.volume?.volumeId, volumeId);
  },
  [ControllerCapability.SINGLE_NODE_MULTI_WRITER]: async (system, cleanup) => {
    const { volume } = await system.csi.controller.createVolume({
      name: uniqueName("capsnmw"),
      volumeCapabilities: [mountCapability("ext4", Mode.SINGLE_NODE_MULTI_WRITER)],
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
  },
  [ControllerCapability.GET_SNAPSHOT]: async (system, cleanup) => {
    const sourceVolumeId = await createVolume(system, cleanup);
    const snapshot = await readySnapshot(system, cleanup, uniqueName("cap"), sourceVolumeId);
    const answer = await system.csi.controller.getSnapshot({ snapshotId: snapshot.snapshotId });
    assert.equal(answer.snapshot?.snapshotId, snapshot.snapshotId);
  },
  [ControllerCapability.MODIFY_VOLUME]: async (system, cleanup) => {
    const volumeId = await createVolume(system, cleanup);
    const current = await system.view.volume(volumeId);
    assert.ok(current);
    const other = (await system.view.volumeTypes()).find(
      (type) => type.name !== current.type && type.minSizeBytes <= current.sizeBytes,
    );
    assert.ok(other);
    await system.csi.controller.controllerModifyVolume({ volumeId, mutableParameters: { type: other.name } });
    await eventually("tier changed", async () => {
      const after = await system.view.volume(volumeId);
      return after?.type === other.name ? true : undefined;
    });
  },
};

/**
 * Node capabilities need a staged volume on this machine; the node suite (node.test.ts) runs
 * those calls. Here each advertised one must at least be one the suite knows how to exercise.
 */
const NODE_CAPABILITIES_EXERCISED_BY_NODE_SUITE = new Set<NodeCapability>([
  NodeCapability.STAGE_UNSTAGE_VOLUME,
  NodeCapability.GET_VOLUME_STATS,
  NodeCapability.EXPAND_VOLUME,
  NodeCapability.VOLUME_CONDITION,
  NodeCapability.SINGLE_NODE_MULTI_WRITER,
]);

forEachFace("advertised capabilities are capabilities that work", (face) => {
  const system = useDevSystem({ face });

  test("every controller capability advertised by ControllerGetCapabilities works when exercised", async (t) => {
    const { capabilities } = await system().csi.controller.controllerGetCapabilities();
    const advertised = capabilities.flatMap((capability) =>
      capability.type?.$case === "rpc" ? [capability.type.value.type] : [],
    );
    assert.ok(advertised.length > 0, "the controller advertises capabilities");
    for (const capability of advertised) {
      const exercise = CONTROLLER_EXERCISES[capability];
      assert.ok(exercise, `capability ${ControllerCapability[capability]} is advertised but has no exercise`);
      await t.test(ControllerCapability[capability] ?? String(capability), async (subtest) => {
        await exercise(system(), Cleanup.for(subtest, system()));
      });
    }
  });

  test("every node capability advertised by NodeGetCapabilities is one the node suite exercises", async () => {
    const { capabilities } = await system().csi.node.nodeGetCapabilities();
    const advertised = capabilities.flatMap((capability) =>
      capability.type?.$case === "rpc" ? [capability.type.value.type] : [],
    );
    assert.ok(advertised.includes(NodeCapability.STAGE_UNSTAGE_VOLUME));
    for (const capability of advertised) {
      assert.ok(
        NODE_CAPABILITIES_EXERCISED_BY_NODE_SUITE.has(capability),
        `node capability ${NodeCapability[capability]} is advertised but not exercised`,
      );
    }
  });
});
