import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import type { CloudInstance } from "./cloud-api.js";
import {
  Cleanup,
  expectCode,
  inZone,
  Mode,
  mountCapability,
  repeat,
  uniqueName,
  WELL_FORMED_UNKNOWN_NODE,
  WELL_FORMED_UNKNOWN_VOLUME,
} from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

/**
 * These tests publish to the reference cloud's API-only instances, so attach limits and
 * "published elsewhere" are exercised without loop devices; the node tests cover this machine.
 */
async function remoteInstances(system: DevSystem): Promise<CloudInstance[]> {
  const local = await system.csi.node.nodeGetInfo();
  const others = (await system.cloud.instances()).filter((instance) => instance.id !== local.nodeId);
  assert.ok(others.length >= 1, "the reference cloud has API-only instances");
  return others;
}

async function volumeIn(system: DevSystem, cleanup: Cleanup, zone: string, prefix: string): Promise<string> {
  const { volume } = await system.csi.controller.createVolume({
    name: uniqueName(prefix),
    volumeCapabilities: [mountCapability()],
    accessibilityRequirements: inZone(zone),
  });
  assert.ok(volume);
  return cleanup.volume(volume.volumeId);
}

describe("ControllerPublishVolume and ControllerUnpublishVolume over the dev socket", () => {
  const system = useDevSystem();

  test("ControllerPublishVolume without a volume id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        nodeId: WELL_FORMED_UNKNOWN_NODE,
        volumeCapability: mountCapability(),
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("ControllerPublishVolume without a node id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId: WELL_FORMED_UNKNOWN_VOLUME,
        volumeCapability: mountCapability(),
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("ControllerPublishVolume without a volume capability is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId: WELL_FORMED_UNKNOWN_VOLUME,
        nodeId: WELL_FORMED_UNKNOWN_NODE,
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("ControllerPublishVolume of a volume that does not exist is NotFound", async () => {
    const [instance] = await remoteInstances(system());
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId: WELL_FORMED_UNKNOWN_VOLUME,
        nodeId: instance?.id,
        volumeCapability: mountCapability(),
      }),
      status.NOT_FOUND,
    );
  });

  test("ControllerPublishVolume to a node that does not exist is NotFound", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const [instance] = await remoteInstances(system());
    assert.ok(instance);
    const volumeId = await volumeIn(system(), cleanup, instance.zone, "nonode");
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId,
        nodeId: WELL_FORMED_UNKNOWN_NODE,
        volumeCapability: mountCapability(),
      }),
      status.NOT_FOUND,
    );
  });

  test("ControllerPublishVolume ten times to the same node answers the same publish context", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const [instance] = await remoteInstances(system());
    assert.ok(instance);
    const volumeId = await volumeIn(system(), cleanup, instance.zone, "repub");
    cleanup.controllerPublish(volumeId, instance.id);
    const answers = await repeat(10, () =>
      system().csi.controller.controllerPublishVolume({
        volumeId,
        nodeId: instance.id,
        volumeCapability: mountCapability(),
      }),
    );
    const contexts = new Set(answers.map((answer) => JSON.stringify(answer.publishContext)));
    assert.equal(contexts.size, 1);
    assert.equal(answers[0]?.publishContext.serial, volumeId);
    const cloudVolume = (await system().cloud.volumes()).find((volume) => volume.id === volumeId);
    assert.deepEqual(
      cloudVolume?.attachments.map((attachment) => attachment.instanceId),
      [instance.id],
    );
  });

  test("ControllerPublishVolume of a single-node volume published to another node is FailedPrecondition", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const instances = await remoteInstances(system());
    const [first] = instances;
    assert.ok(first);
    const second =
      instances.find((instance) => instance.id !== first.id && instance.zone === first.zone) ??
      instances.find((instance) => instance.id !== first.id);
    assert.ok(second, "the reference cloud has a second API-only instance");
    const volumeId = await volumeIn(system(), cleanup, first.zone, "elsewhere");
    cleanup.controllerPublish(volumeId, first.id);
    await system().csi.controller.controllerPublishVolume({
      volumeId,
      nodeId: first.id,
      volumeCapability: mountCapability(),
    });
    const details = await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId,
        nodeId: second.id,
        volumeCapability: mountCapability(),
      }),
      status.FAILED_PRECONDITION,
    );
    assert.match(details, new RegExp(first.id));
  });

  test("ControllerPublishVolume beyond the node's attach limit is ResourceExhausted", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const instances = await remoteInstances(system());
    const target = instances.reduce((smallest, instance) =>
      instance.maxAttachedVolumes < smallest.maxAttachedVolumes ? instance : smallest,
    );
    const free = target.maxAttachedVolumes - target.attachedVolumeIds.length;
    assert.ok(free <= 64, `instance ${target.id} allows ${free} more volumes, too many for this test`);
    const volumeIds = await Promise.all(
      Array.from({ length: free + 1 }, () => volumeIn(system(), cleanup, target.zone, "limit")),
    );
    const [overflow, ...fitting] = volumeIds;
    for (const volumeId of fitting) {
      cleanup.controllerPublish(volumeId, target.id);
      await system().csi.controller.controllerPublishVolume({
        volumeId,
        nodeId: target.id,
        volumeCapability: mountCapability(),
      });
    }
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId: overflow,
        nodeId: target.id,
        volumeCapability: mountCapability(),
      }),
      status.RESOURCE_EXHAUSTED,
    );
  });

  test("ControllerUnpublishVolume without a volume id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerUnpublishVolume({ nodeId: WELL_FORMED_UNKNOWN_NODE }),
      status.INVALID_ARGUMENT,
    );
  });

  test("ControllerUnpublishVolume of a volume that does not exist is OK", async () => {
    await system().csi.controller.controllerUnpublishVolume({
      volumeId: WELL_FORMED_UNKNOWN_VOLUME,
      nodeId: WELL_FORMED_UNKNOWN_NODE,
    });
  });

  test("ControllerUnpublishVolume detaches and stays OK when repeated ten times", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const [instance] = await remoteInstances(system());
    assert.ok(instance);
    const volumeId = await volumeIn(system(), cleanup, instance.zone, "unpub");
    await system().csi.controller.controllerPublishVolume({
      volumeId,
      nodeId: instance.id,
      volumeCapability: mountCapability(),
    });
    await repeat(10, () =>
      system().csi.controller.controllerUnpublishVolume({ volumeId, nodeId: instance.id }),
    );
    const cloudVolume = (await system().cloud.volumes()).find((volume) => volume.id === volumeId);
    assert.deepEqual(cloudVolume?.attachments, []);
  });

  test("CreateVolume with MULTI_NODE_READER_ONLY on a single-attach tier is InvalidArgument", async () => {
    const types = await system().cloud.volumeTypes();
    const singleAttach = types.find((type) => !type.multiAttach);
    assert.ok(singleAttach, "the reference cloud has a single-attach tier");
    await expectCode(
      system().csi.controller.createVolume({
        name: uniqueName("mnro"),
        volumeCapabilities: [mountCapability("ext4", Mode.MULTI_NODE_READER_ONLY)],
        parameters: { type: singleAttach.name },
      }),
      status.INVALID_ARGUMENT,
    );
  });
});
