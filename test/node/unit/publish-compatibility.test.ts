import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createNodeHandlers } from "../../../src/csi/node-handlers.js";
import {
  VolumeCapability_AccessMode_Mode as Mode,
  type VolumeCapability,
} from "../../../src/generated/csi.js";
import { invoke } from "../device-lab.js";
import { FakeNodeWorld, type FakeVolume, stagingPathOf, targetPathOf } from "../fakes/fake-node.js";
import { blockCapability, mountCapability, publishRequest, stageRequest } from "../requests.js";

/**
 * The Node service's gRPC face over a fake host, so the capability a CO sends is what the node
 * judges a publish by. Answers the world, a volume staged with `staged`, and the node's handlers.
 */
async function stagedWith(staged: VolumeCapability) {
  const world = await FakeNodeWorld.create();
  const node = createNodeHandlers(world.service);
  const volume = world.attachVolume();
  await invoke(node.nodeStageVolume, stageRequest(volume, stagingPathOf(volume.volumeId), staged));
  return { world, node, volume };
}

function publish(
  volume: FakeVolume,
  capability: VolumeCapability,
  targetPath = targetPathOf(volume.volumeId),
) {
  return publishRequest(volume, stagingPathOf(volume.volumeId), targetPath, capability);
}

test("publishing twice with readonly false a volume staged with mount flag ro binds it read-only once", async () => {
  const capability = mountCapability("ext4", ["ro"]);
  const { world, node, volume } = await stagedWith(capability);
  const before = world.exec.calls.length;
  await invoke(node.nodePublishVolume, publish(volume, capability));
  await invoke(node.nodePublishVolume, publish(volume, capability));
  const target = targetPathOf(volume.volumeId);
  assert.deepEqual(world.exec.calls.slice(before), [
    ["mount", "--bind", "-o", "ro", stagingPathOf(volume.volumeId), target],
  ]);
  assert.deepEqual(
    world.host.mounts.at(target).map((mount) => mount.options),
    [["ro", "relatime"]],
  );
});

test("publishing for block access a volume staged for mount access is FailedPrecondition and binds nothing", async () => {
  const { world, node, volume } = await stagedWith(mountCapability("ext4"));
  const before = world.exec.calls.length;
  await assert.rejects(invoke(node.nodePublishVolume, publish(volume, blockCapability())), {
    code: status.FAILED_PRECONDITION,
    details: `volume ${volume.volumeId} is staged at ${stagingPathOf(volume.volumeId)} for mount access (ext4 on /dev/vdb); it cannot be published for block access`,
  });
  assert.deepEqual(world.exec.calls.slice(before), []);
  assert.equal(world.host.tree.lookup(targetPathOf(volume.volumeId)), undefined);
});

test("publishing for mount access a volume staged for block access is FailedPrecondition and binds nothing", async () => {
  const { world, node, volume } = await stagedWith(blockCapability());
  const before = world.exec.calls.length;
  await assert.rejects(invoke(node.nodePublishVolume, publish(volume, mountCapability("ext4"))), {
    code: status.FAILED_PRECONDITION,
    details: `volume ${volume.volumeId} is not staged at ${stagingPathOf(volume.volumeId)} for mount access: no filesystem is mounted there (a stage for block access mounts none)`,
  });
  assert.deepEqual(world.exec.calls.slice(before), []);
  assert.equal(world.host.tree.lookup(targetPathOf(volume.volumeId)), undefined);
});

test("a SINGLE_NODE_SINGLE_WRITER volume published at one target is FailedPrecondition at a second and binds nothing", async () => {
  const capability = mountCapability("ext4", [], Mode.SINGLE_NODE_SINGLE_WRITER);
  const { world, node, volume } = await stagedWith(capability);
  const first = targetPathOf(volume.volumeId, "pod-1");
  const second = targetPathOf(volume.volumeId, "pod-2");
  await invoke(node.nodePublishVolume, publish(volume, capability, first));
  const before = world.exec.calls.length;
  await assert.rejects(invoke(node.nodePublishVolume, publish(volume, capability, second)), {
    code: status.FAILED_PRECONDITION,
    details: `volume ${volume.volumeId} is SINGLE_NODE_SINGLE_WRITER and already published at ${first}; it cannot be published at ${second} too`,
  });
  assert.deepEqual(world.exec.calls.slice(before), []);
  assert.equal(world.host.tree.lookup(second), undefined);
});

test("a SINGLE_NODE_SINGLE_WRITER raw block volume published at one target is FailedPrecondition at a second", async () => {
  const capability = blockCapability(Mode.SINGLE_NODE_SINGLE_WRITER);
  const { world, node, volume } = await stagedWith(capability);
  const first = targetPathOf(volume.volumeId, "pod-1");
  const second = targetPathOf(volume.volumeId, "pod-2");
  await invoke(node.nodePublishVolume, publish(volume, capability, first));
  const before = world.exec.calls.length;
  await assert.rejects(invoke(node.nodePublishVolume, publish(volume, capability, second)), {
    code: status.FAILED_PRECONDITION,
    details: `volume ${volume.volumeId} is SINGLE_NODE_SINGLE_WRITER and already published at ${first}; it cannot be published at ${second} too`,
  });
  assert.deepEqual(world.exec.calls.slice(before), []);
  assert.equal(world.host.tree.lookup(second), undefined);
});

test("publishing a SINGLE_NODE_SINGLE_WRITER volume again at its target is OK and binds once", async () => {
  const capability = mountCapability("ext4", [], Mode.SINGLE_NODE_SINGLE_WRITER);
  const { world, node, volume } = await stagedWith(capability);
  const before = world.exec.calls.length;
  await invoke(node.nodePublishVolume, publish(volume, capability));
  await invoke(node.nodePublishVolume, publish(volume, capability));
  assert.deepEqual(world.exec.calls.slice(before), [
    ["mount", "--bind", stagingPathOf(volume.volumeId), targetPathOf(volume.volumeId)],
  ]);
});

test("a SINGLE_NODE_SINGLE_WRITER volume unpublished from its target is published at another", async () => {
  const capability = mountCapability("ext4", [], Mode.SINGLE_NODE_SINGLE_WRITER);
  const { world, node, volume } = await stagedWith(capability);
  const first = targetPathOf(volume.volumeId, "pod-1");
  const second = targetPathOf(volume.volumeId, "pod-2");
  await invoke(node.nodePublishVolume, publish(volume, capability, first));
  await invoke(node.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: first });
  await invoke(node.nodePublishVolume, publish(volume, capability, second));
  assert.deepEqual(
    world.host.mounts.at(second).map((mount) => mount.source),
    ["/dev/vdb"],
  );
});

test("a SINGLE_NODE_MULTI_WRITER volume is published at two targets", async () => {
  const capability = mountCapability("ext4", [], Mode.SINGLE_NODE_MULTI_WRITER);
  const { world, node, volume } = await stagedWith(capability);
  const targets = [targetPathOf(volume.volumeId, "pod-1"), targetPathOf(volume.volumeId, "pod-2")];
  for (const target of targets) await invoke(node.nodePublishVolume, publish(volume, capability, target));
  assert.deepEqual(
    targets.map((target) => world.host.mounts.at(target).map((mount) => mount.source)),
    [["/dev/vdb"], ["/dev/vdb"]],
  );
});
