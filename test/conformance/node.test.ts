import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import type { DeepPartial, VolumeCapability } from "../../src/generated/csi.js";
import { VolumeUsage_Unit } from "../../src/generated/csi.js";
import { realHostFs } from "../../src/node/host-fs.js";
import { MountTable } from "../../src/node/mount-table.js";
import { requireRoot } from "../helpers/root.js";
import { Cleanup, GiB, inZone, Mode, mountCapability, uniqueName, ZONE_KEY } from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";
import {
  type AttachedVolume,
  CAPABILITY,
  type NodeUnderTest,
  nodeSpecBehaviours,
  publish,
  stage,
} from "./node-behaviours.js";

async function attachedVolume(
  t: TestContext,
  system: DevSystem,
  capability: DeepPartial<VolumeCapability> = CAPABILITY,
): Promise<AttachedVolume> {
  const cleanup = Cleanup.for(t, system);
  const info = await system.csi.node.nodeGetInfo();
  const zone = info.accessibleTopology?.segments[ZONE_KEY];
  assert.ok(zone);
  const { volume } = await system.csi.controller.createVolume({
    name: uniqueName("node"),
    volumeCapabilities: [capability],
    capacityRange: { requiredBytes: GiB },
    accessibilityRequirements: inZone(zone),
  });
  assert.ok(volume);
  cleanup.volume(volume.volumeId);
  cleanup.controllerPublish(volume.volumeId, info.nodeId);
  const { publishContext } = await system.csi.controller.controllerPublishVolume({
    volumeId: volume.volumeId,
    nodeId: info.nodeId,
    volumeCapability: capability,
  });
  const podDir = join(system.kubeletDir, volume.volumeId);
  const stagingTargetPath = join(podDir, "globalmount");
  const targetPath = join(podDir, "pod", "mount");
  await mkdir(stagingTargetPath, { recursive: true });
  return {
    volumeId: volume.volumeId,
    nodeId: info.nodeId,
    publishContext,
    stagingTargetPath,
    targetPath,
    cleanup,
  };
}

/** The dev system's node: real mounts on loop devices the reference cloud attached. */
function devNode(system: DevSystem): NodeUnderTest {
  return {
    csi: system.csi,
    kubeletDir: system.kubeletDir,
    needsRoot: true,
    attachVolume: (t, capability) => attachedVolume(t, system, capability),
    mountsAt: async (path) => (await new MountTable(realHostFs).at(path)).length,
    fsTypeAt: async (path) => (await new MountTable(realHostFs).top(path))?.fsType,
  };
}

/** The host's loop devices and the files behind them. */
function loopDevices(): Array<{ name: string; "back-file": string | null }> {
  const listing = execFileSync("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  return listing.trim() === "" ? [] : JSON.parse(listing).loopdevices;
}

async function mountsAt(path: string): Promise<number> {
  return (await new MountTable(realHostFs).at(path)).length;
}

describe("Node service over the dev socket, on loop devices", () => {
  const system = useDevSystem();
  const node = () => devNode(system());

  nodeSpecBehaviours(node, requireRoot);

  test("data written at the published target reads back at the staging path", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(node(), volume);
    await publish(node(), volume);
    const data = randomBytes(64 * 1024);
    await writeFile(join(volume.targetPath, "data.bin"), data);
    assert.deepEqual(await readFile(join(volume.stagingTargetPath, "data.bin")), data);
  });

  test("SINGLE_NODE_MULTI_WRITER: two pods on the node each get a writable mount and see each other's writes", async (t) => {
    if (!requireRoot(t)) return;
    const capability = mountCapability("xfs", Mode.SINGLE_NODE_MULTI_WRITER);
    const volume = await attachedVolume(t, system(), capability);
    await stage(node(), volume, capability);
    const secondTarget = join(volume.targetPath, "..", "..", "pod-2", "mount");
    await publish(node(), volume, false, capability);
    volume.cleanup.nodePublish(volume.volumeId, secondTarget);
    await system().csi.node.nodePublishVolume({
      volumeId: volume.volumeId,
      publishContext: volume.publishContext,
      stagingTargetPath: volume.stagingTargetPath,
      targetPath: secondTarget,
      volumeCapability: capability,
      readonly: false,
    });
    assert.equal(await mountsAt(volume.targetPath), 1);
    assert.equal(await mountsAt(secondTarget), 1);
    await writeFile(join(volume.targetPath, "from-pod-1"), "one");
    await writeFile(join(secondTarget, "from-pod-2"), "two");
    assert.equal(await readFile(join(secondTarget, "from-pod-1"), "utf8"), "one");
    assert.equal(await readFile(join(volume.targetPath, "from-pod-2"), "utf8"), "two");
  });

  test("NodePublishVolume read-only gives a mount that refuses writes", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(node(), volume);
    await publish(node(), volume, true);
    await assert.rejects(writeFile(join(volume.targetPath, "denied"), "x"), { code: "EROFS" });
  });

  test("ControllerExpandVolume then NodeExpandVolume grows a mounted xfs filesystem online", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(node(), volume);
    await publish(node(), volume);
    const expanded = await system().csi.controller.controllerExpandVolume({
      volumeId: volume.volumeId,
      capacityRange: { requiredBytes: 2n * GiB },
      volumeCapability: CAPABILITY,
    });
    assert.equal(expanded.nodeExpansionRequired, true);
    await system().csi.node.nodeExpandVolume({
      volumeId: volume.volumeId,
      volumePath: volume.targetPath,
      stagingTargetPath: volume.stagingTargetPath,
      capacityRange: { requiredBytes: 2n * GiB },
      volumeCapability: CAPABILITY,
    });
    const stats = await system().csi.node.nodeGetVolumeStats({
      volumeId: volume.volumeId,
      volumePath: volume.targetPath,
    });
    const bytes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.BYTES);
    assert.ok(bytes && bytes.total > GiB, `filesystem has ${bytes?.total} bytes after growing to 2 GiB`);
  });

  test("ControllerUnpublishVolume after unstaging removes the loop device and the by-id link", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    const byIdPath = volume.publishContext.byIdPath;
    assert.ok(byIdPath);
    const loop = await realpath(byIdPath);
    const [backingFile] = loopDevices()
      .filter((device) => device.name === loop)
      .map((device) => device["back-file"]);
    assert.ok(backingFile?.includes(volume.volumeId), `${loop} is backed by ${backingFile}`);
    await stage(node(), volume);
    await system().csi.node.nodeUnstageVolume({
      volumeId: volume.volumeId,
      stagingTargetPath: volume.stagingTargetPath,
    });
    await system().csi.controller.controllerUnpublishVolume({
      volumeId: volume.volumeId,
      nodeId: volume.nodeId,
    });
    const cloudVolume = (await system().cloud.volumes()).find(
      (candidate) => candidate.id === volume.volumeId,
    );
    assert.deepEqual(cloudVolume?.attachments, []);
    // By backing file, not by name: a test running beside this one may reuse the loop number.
    assert.deepEqual(
      loopDevices().filter((device) => device["back-file"] === backingFile),
      [],
    );
    await assert.rejects(readFile(byIdPath), { code: "ENOENT" });
  });
});
