import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, realpath, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { before, type TestContext, test } from "node:test";
import type { DeepPartial, VolumeCapability } from "../../src/generated/csi.js";
import { VolumeUsage_Unit } from "../../src/generated/csi.js";
import { realHostFs } from "../../src/node/host-fs.js";
import { MountTable } from "../../src/node/mount-table.js";
import { requireRoot } from "../helpers/root.js";
import { ControllerCapability, requireController } from "./capabilities.js";
import { devSystemLayout } from "./dev-layout.js";
import { forEachFace } from "./faces.js";
import {
  blockCapability,
  Cleanup,
  inZone,
  Mode,
  mountCapability,
  uniqueName,
  type VolumeSizes,
  volumeSizes,
  ZONE_KEY,
} from "./fixtures.js";
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
    capacityRange: { requiredBytes: (await volumeSizes(system)).smallest },
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
function devNode(system: DevSystem, sizes: VolumeSizes): NodeUnderTest {
  return {
    csi: system.csi,
    kubeletDir: system.kubeletDir,
    needsRoot: true,
    nodeIdPattern: system.facts.nodeIdPattern,
    volumeBytes: sizes.smallest,
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

forEachFace("Node service over the dev socket, on loop devices", (face) => {
  const system = useDevSystem({ face });
  let sizes: VolumeSizes | undefined;
  before(async () => {
    sizes = await volumeSizes(system());
  });
  const node = () => {
    assert.ok(sizes, "the dev system started");
    return devNode(system(), sizes);
  };

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
    if (!(await requireController(t, system(), ControllerCapability.SINGLE_NODE_MULTI_WRITER))) return;
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

  test("a raw block volume is staged and published as a block device at the target", async (t) => {
    if (!requireRoot(t)) return;
    const capability = blockCapability();
    const volume = await attachedVolume(t, system(), capability);
    await stage(node(), volume, capability);
    await publish(node(), volume, false, capability);
    const target = await stat(volume.targetPath);
    assert.equal(target.isBlockDevice(), true, `${volume.targetPath} is a block device`);
    const bytes = execFileSync("blockdev", ["--getsize64", volume.targetPath], {
      encoding: "utf8",
      timeout: 10_000,
    });
    assert.equal(BigInt(bytes.trim()), (await volumeSizes(system())).smallest);
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
    if (!(await requireController(t, system(), ControllerCapability.EXPAND_VOLUME))) return;
    const volume = await attachedVolume(t, system());
    await stage(node(), volume);
    await publish(node(), volume);
    const grown = (await volumeSizes(system())).of(1);
    const expanded = await system().csi.controller.controllerExpandVolume({
      volumeId: volume.volumeId,
      capacityRange: { requiredBytes: grown },
      volumeCapability: CAPABILITY,
    });
    assert.equal(expanded.nodeExpansionRequired, true);
    await system().csi.node.nodeExpandVolume({
      volumeId: volume.volumeId,
      volumePath: volume.targetPath,
      stagingTargetPath: volume.stagingTargetPath,
      capacityRange: { requiredBytes: grown },
      volumeCapability: CAPABILITY,
    });
    const stats = await system().csi.node.nodeGetVolumeStats({
      volumeId: volume.volumeId,
      volumePath: volume.targetPath,
    });
    const bytes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.BYTES);
    const smallest = (await volumeSizes(system())).smallest;
    assert.ok(
      bytes && bytes.total > smallest,
      `filesystem has ${bytes?.total} bytes after growing to ${grown}`,
    );
  });

  test("ControllerUnpublishVolume after unstaging removes the loop device and the by-id link", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    const announced = volume.publishContext.byIdPath;
    assert.ok(announced);
    // The cloud names the link as its guests see it; `ballast dev` makes it in its own by-id dir.
    const byIdPath = join(devSystemLayout(system().stateDir).byIdDir, basename(announced));
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
    assert.deepEqual((await system().view.volume(volume.volumeId))?.attachedTo, []);
    // By backing file, not by name: a test running beside this one may reuse the loop number.
    assert.deepEqual(
      loopDevices().filter((device) => device["back-file"] === backingFile),
      [],
    );
    await assert.rejects(readFile(byIdPath), { code: "ENOENT" });
  });
});
