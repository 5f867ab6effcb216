import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { type DeepPartial, type VolumeCapability, VolumeUsage_Unit } from "../../src/generated/csi.js";
import { realHostFs } from "../../src/node/host-fs.js";
import { MountTable } from "../../src/node/mount-table.js";
import { requireRoot } from "../helpers/root.js";
import {
  Cleanup,
  expectCode,
  GiB,
  inZone,
  Mode,
  mountCapability,
  repeat,
  uniqueName,
  ZONE_KEY,
} from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

/** xfs because it grows online here; ext4 online growth needs CAP_SYS_RESOURCE (see toolchain notes). */
const CAPABILITY = mountCapability("xfs");

interface AttachedVolume {
  volumeId: string;
  nodeId: string;
  publishContext: Record<string, string>;
  stagingTargetPath: string;
  targetPath: string;
  cleanup: Cleanup;
}

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

async function stage(
  system: DevSystem,
  volume: AttachedVolume,
  capability: DeepPartial<VolumeCapability> = CAPABILITY,
): Promise<void> {
  volume.cleanup.nodeStage(volume.volumeId, volume.stagingTargetPath);
  await system.csi.node.nodeStageVolume({
    volumeId: volume.volumeId,
    publishContext: volume.publishContext,
    stagingTargetPath: volume.stagingTargetPath,
    volumeCapability: capability,
  });
}

async function publish(
  system: DevSystem,
  volume: AttachedVolume,
  readonly = false,
  capability: DeepPartial<VolumeCapability> = CAPABILITY,
): Promise<void> {
  volume.cleanup.nodePublish(volume.volumeId, volume.targetPath);
  await system.csi.node.nodePublishVolume({
    volumeId: volume.volumeId,
    publishContext: volume.publishContext,
    stagingTargetPath: volume.stagingTargetPath,
    targetPath: volume.targetPath,
    volumeCapability: capability,
    readonly,
  });
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

  test("NodeGetInfo reports the instance id, the zone segment and a volume limit", async () => {
    const info = await system().csi.node.nodeGetInfo();
    assert.match(info.nodeId, /^i-[0-9a-f]{16}$/);
    assert.ok(info.accessibleTopology?.segments[ZONE_KEY]);
    assert.ok(info.maxVolumesPerNode > 0n);
  });

  test("NodeStageVolume without a staging target path is InvalidArgument", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await expectCode(
      system().csi.node.nodeStageVolume({
        volumeId: volume.volumeId,
        publishContext: volume.publishContext,
        volumeCapability: CAPABILITY,
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("NodeStageVolume without a volume capability is InvalidArgument", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await expectCode(
      system().csi.node.nodeStageVolume({
        volumeId: volume.volumeId,
        publishContext: volume.publishContext,
        stagingTargetPath: volume.stagingTargetPath,
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("NodeStageVolume ten times mounts the volume once at the staging path", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await repeat(10, () => stage(system(), volume));
    assert.equal(await mountsAt(volume.stagingTargetPath), 1);
    const entry = await new MountTable(realHostFs).top(volume.stagingTargetPath);
    assert.equal(entry?.fsType, "xfs");
  });

  test("NodePublishVolume without a staging target path is FailedPrecondition", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(system(), volume);
    await expectCode(
      system().csi.node.nodePublishVolume({
        volumeId: volume.volumeId,
        publishContext: volume.publishContext,
        targetPath: volume.targetPath,
        volumeCapability: CAPABILITY,
      }),
      status.FAILED_PRECONDITION,
    );
  });

  test("NodePublishVolume ten times bind-mounts once, and data written there reads back", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(system(), volume);
    await repeat(10, () => publish(system(), volume));
    assert.equal(await mountsAt(volume.targetPath), 1);
    const data = randomBytes(64 * 1024);
    await writeFile(join(volume.targetPath, "data.bin"), data);
    assert.deepEqual(await readFile(join(volume.stagingTargetPath, "data.bin")), data);
  });

  test("SINGLE_NODE_MULTI_WRITER: two pods on the node each get a writable mount and see each other's writes", async (t) => {
    if (!requireRoot(t)) return;
    const capability = mountCapability("xfs", Mode.SINGLE_NODE_MULTI_WRITER);
    const volume = await attachedVolume(t, system(), capability);
    await stage(system(), volume, capability);
    const secondTarget = join(volume.targetPath, "..", "..", "pod-2", "mount");
    await publish(system(), volume, false, capability);
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

  test("NodePublishVolume at a published target with a different readonly flag is AlreadyExists", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(system(), volume);
    await publish(system(), volume);
    await expectCode(publish(system(), volume, true), status.ALREADY_EXISTS);
  });

  test("NodePublishVolume read-only gives a mount that refuses writes", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(system(), volume);
    await publish(system(), volume, true);
    await assert.rejects(writeFile(join(volume.targetPath, "denied"), "x"), { code: "EROFS" });
  });

  test("NodeGetVolumeStats reports bytes and inodes of a published volume and a normal condition", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(system(), volume);
    await publish(system(), volume);
    const stats = await system().csi.node.nodeGetVolumeStats({
      volumeId: volume.volumeId,
      volumePath: volume.targetPath,
    });
    const bytes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.BYTES);
    const inodes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.INODES);
    assert.ok(bytes && bytes.total > 0n && bytes.total <= GiB);
    assert.ok(inodes && inodes.total > 0n);
    assert.equal(stats.volumeCondition?.abnormal, false);
  });

  test("NodeGetVolumeStats of a path that holds no volume is NotFound", async (t) => {
    if (!requireRoot(t)) return;
    const missing = join(system().kubeletDir, "never-published");
    await expectCode(
      system().csi.node.nodeGetVolumeStats({ volumeId: "vol-00000000deadbeef", volumePath: missing }),
      status.NOT_FOUND,
    );
  });

  test("ControllerExpandVolume then NodeExpandVolume grows a mounted xfs filesystem online", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(system(), volume);
    await publish(system(), volume);
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

  test("NodeUnpublishVolume and NodeUnstageVolume ten times each leave no mount behind", async (t) => {
    if (!requireRoot(t)) return;
    const volume = await attachedVolume(t, system());
    await stage(system(), volume);
    await publish(system(), volume);
    await repeat(10, () =>
      system().csi.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath: volume.targetPath }),
    );
    await repeat(10, () =>
      system().csi.node.nodeUnstageVolume({
        volumeId: volume.volumeId,
        stagingTargetPath: volume.stagingTargetPath,
      }),
    );
    assert.equal(await mountsAt(volume.targetPath), 0);
    assert.equal(await mountsAt(volume.stagingTargetPath), 0);
  });

  test("NodeUnpublishVolume of a target that was never published is OK", async (t) => {
    if (!requireRoot(t)) return;
    await system().csi.node.nodeUnpublishVolume({
      volumeId: "vol-00000000deadbeef",
      targetPath: join(system().kubeletDir, "never", "mount"),
    });
  });

  test("NodeUnstageVolume of a staging path that was never staged is OK", async (t) => {
    if (!requireRoot(t)) return;
    await system().csi.node.nodeUnstageVolume({
      volumeId: "vol-00000000deadbeef",
      stagingTargetPath: join(system().kubeletDir, "never", "globalmount"),
    });
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
    await stage(system(), volume);
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
