import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { ControllerCapability, requireController } from "./capabilities.js";
import type { ViewInstance } from "./cloud-view.js";
import { forEachFace } from "./faces.js";
import { Cleanup, expectCode, inZone, Mode, mountCapability, repeat, uniqueName } from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

/**
 * These tests publish to the reference cloud's API-only instances, so attach limits and
 * "published elsewhere" are exercised without loop devices; the node tests cover this machine.
 */
async function remoteInstances(system: DevSystem): Promise<ViewInstance[]> {
  const local = await system.csi.node.nodeGetInfo();
  const others = (await system.view.instances()).filter((instance) => instance.id !== local.nodeId);
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

forEachFace("ControllerPublishVolume and ControllerUnpublishVolume over the dev socket", (face) => {
  const system = useDevSystem({ face });
  /** A spec of PUBLISH_UNPUBLISH_VOLUME: skipped where the driver does not advertise it. */
  const spec = (title: string, body: (t: TestContext) => Promise<void>) =>
    test(title, async (t) => {
      if (await requireController(t, system(), ControllerCapability.PUBLISH_UNPUBLISH_VOLUME)) await body(t);
    });
  const unknownVolume = () => system().facts.unknownVolumeId;
  const unknownNode = () => system().facts.unknownNodeId;

  spec("ControllerPublishVolume without a volume id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        nodeId: unknownNode(),
        volumeCapability: mountCapability(),
      }),
      status.INVALID_ARGUMENT,
    );
  });

  spec("ControllerPublishVolume without a node id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId: unknownVolume(),
        volumeCapability: mountCapability(),
      }),
      status.INVALID_ARGUMENT,
    );
  });

  spec("ControllerPublishVolume without a volume capability is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId: unknownVolume(),
        nodeId: unknownNode(),
      }),
      status.INVALID_ARGUMENT,
    );
  });

  spec("ControllerPublishVolume of a volume that does not exist is NotFound", async () => {
    const [instance] = await remoteInstances(system());
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId: unknownVolume(),
        nodeId: instance?.id,
        volumeCapability: mountCapability(),
      }),
      status.NOT_FOUND,
    );
  });

  spec("ControllerPublishVolume to a node that does not exist is NotFound", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const [instance] = await remoteInstances(system());
    assert.ok(instance);
    const volumeId = await volumeIn(system(), cleanup, instance.zone, "nonode");
    await expectCode(
      system().csi.controller.controllerPublishVolume({
        volumeId,
        nodeId: unknownNode(),
        volumeCapability: mountCapability(),
      }),
      status.NOT_FOUND,
    );
  });

  spec("ControllerPublishVolume ten times to the same node answers the same publish context", async (t) => {
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
    // The serial the node checks the device against; empty where the provider's devices carry none.
    assert.equal(answers[0]?.publishContext.serial ?? "", system().facts.deviceSerial?.(volumeId) ?? "");
    assert.deepEqual((await system().view.volume(volumeId))?.attachedTo, [instance.id]);
  });

  spec(
    "ControllerPublishVolume of a single-node volume published to another node is FailedPrecondition",
    async (t) => {
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
    },
  );

  spec("ControllerPublishVolume beyond the node's attach limit is ResourceExhausted", async (t) => {
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

  spec("ControllerUnpublishVolume without a volume id is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.controllerUnpublishVolume({ nodeId: unknownNode() }),
      status.INVALID_ARGUMENT,
    );
  });

  spec("ControllerUnpublishVolume of a volume that does not exist is OK", async () => {
    await system().csi.controller.controllerUnpublishVolume({
      volumeId: unknownVolume(),
      nodeId: unknownNode(),
    });
  });

  spec("ControllerUnpublishVolume detaches and stays OK when repeated ten times", async (t) => {
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
    assert.deepEqual((await system().view.volume(volumeId))?.attachedTo, []);
  });

  test("CreateVolume with MULTI_NODE_READER_ONLY on a single-attach type is InvalidArgument", async () => {
    const types = await system().view.volumeTypes();
    const singleAttach = types.find((type) => !type.multiAttach);
    assert.ok(singleAttach, "the cloud has a single-attach volume type");
    // The default type needs no parameter; a cloud without tiers refuses the `type` parameter itself.
    const parameters: Record<string, string> =
      singleAttach.name === system().facts.defaultVolumeType ? {} : { type: singleAttach.name };
    const details = await expectCode(
      system().csi.controller.createVolume({
        name: uniqueName("mnro"),
        volumeCapabilities: [mountCapability("ext4", Mode.MULTI_NODE_READER_ONLY)],
        parameters,
      }),
      status.INVALID_ARGUMENT,
    );
    assert.match(details, /MULTI_NODE_READER_ONLY/);
  });

  spec("a volume created without topology requirements attaches to the node NodeGetInfo names", async (t) => {
    // csi-sanity creates its volumes so and publishes them to this node.
    const cleanup = Cleanup.for(t, system());
    const { nodeId } = await system().csi.node.nodeGetInfo();
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("notopology"),
      volumeCapabilities: [mountCapability()],
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    cleanup.controllerPublish(volume.volumeId, nodeId);
    await system().csi.controller.controllerPublishVolume({
      volumeId: volume.volumeId,
      nodeId,
      volumeCapability: mountCapability(),
    });
    assert.deepEqual((await system().view.volume(volume.volumeId))?.attachedTo, [nodeId]);
  });
});
