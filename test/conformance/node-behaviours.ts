import assert from "node:assert/strict";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { status } from "@grpc/grpc-js";
import type { CsiClient } from "../../src/demo/csi-client.js";
import {
  type DeepPartial,
  NodeServiceCapability_RPC_Type as NodeCapability,
  type VolumeCapability,
  VolumeUsage_Unit,
} from "../../src/generated/csi.js";
import {
  expectCode,
  GiB,
  mountCapability,
  repeat,
  WELL_FORMED_UNKNOWN_VOLUME,
  ZONE_KEY,
} from "./fixtures.js";

/** xfs because it grows online here; ext4 online growth needs CAP_SYS_RESOURCE (see toolchain notes). */
export const CAPABILITY = mountCapability("xfs");

/** Records node calls that a test's clean-up must undo (a no-op where the node is thrown away). */
export interface NodeCleanup {
  nodeStage(volumeId: string, stagingTargetPath: string): void;
  nodePublish(volumeId: string, targetPath: string): void;
}

export interface AttachedVolume {
  volumeId: string;
  nodeId: string;
  publishContext: Record<string, string>;
  stagingTargetPath: string;
  targetPath: string;
  cleanup: NodeCleanup;
}

/**
 * A Node service to hold to the CSI spec: the dev system's node on loop devices (root), or a
 * node wired to fakes (anywhere). The behaviours below talk to it only over its CSI socket,
 * plus the two questions a CO could answer by looking at the host: which volume is attached,
 * and what is mounted where.
 */
export interface NodeUnderTest {
  readonly csi: CsiClient;
  /** Where tests put staging and target paths, as kubelet does under /var/lib/kubelet. */
  readonly kubeletDir: string;
  /** Whether volume tests need root (real mounts); the fake node needs none. */
  readonly needsRoot: boolean;
  /** The shape of the node's instance id in its cloud; default Ballast's `i-` and 16 hex digits. */
  readonly nodeIdPattern?: RegExp;
  /** The size of the volumes `attachVolume` makes; default 1 GiB. */
  readonly volumeBytes?: bigint;
  /** A volume attached to this node (ControllerPublishVolume done), with its staging directory made. */
  attachVolume(t: TestContext, capability: DeepPartial<VolumeCapability>): Promise<AttachedVolume>;
  /** How many mounts the host has at exactly this path. */
  mountsAt(path: string): Promise<number>;
  /** The filesystem type of the top mount at the path. */
  fsTypeAt(path: string): Promise<string | undefined>;
}

export async function stage(
  node: NodeUnderTest,
  volume: AttachedVolume,
  capability: DeepPartial<VolumeCapability> = CAPABILITY,
): Promise<void> {
  volume.cleanup.nodeStage(volume.volumeId, volume.stagingTargetPath);
  await node.csi.node.nodeStageVolume({
    volumeId: volume.volumeId,
    publishContext: volume.publishContext,
    stagingTargetPath: volume.stagingTargetPath,
    volumeCapability: capability,
  });
}

export async function publish(
  node: NodeUnderTest,
  volume: AttachedVolume,
  readonly = false,
  capability: DeepPartial<VolumeCapability> = CAPABILITY,
): Promise<void> {
  volume.cleanup.nodePublish(volume.volumeId, volume.targetPath);
  await node.csi.node.nodePublishVolume({
    volumeId: volume.volumeId,
    publishContext: volume.publishContext,
    stagingTargetPath: volume.stagingTargetPath,
    targetPath: volume.targetPath,
    volumeCapability: capability,
    readonly,
  });
}

/** False (and the test skipped) when the node needs root and this process is not root. */
type RootCheck = (t: TestContext) => boolean;

/**
 * The Node service behaviours of the CSI spec that any node must show, registered as tests in
 * the caller's describe block. `node` is called inside each test, after the node has started.
 */
export function nodeSpecBehaviours(node: () => NodeUnderTest, requireRoot: RootCheck): void {
  const withVolume = (t: TestContext) => !node().needsRoot || requireRoot(t);

  test("NodeGetInfo reports the instance id, the zone segment and a volume limit", async () => {
    const info = await node().csi.node.nodeGetInfo();
    assert.match(info.nodeId, node().nodeIdPattern ?? /^i-[0-9a-f]{16}$/);
    assert.ok(info.accessibleTopology?.segments[ZONE_KEY]);
    assert.ok(info.maxVolumesPerNode > 0n);
  });

  test("NodeGetCapabilities lists staging, stats, expansion and volume condition", async () => {
    const { capabilities } = await node().csi.node.nodeGetCapabilities({});
    const types = capabilities.map((capability) =>
      capability.type?.$case === "rpc" ? capability.type.value.type : undefined,
    );
    for (const wanted of [
      NodeCapability.STAGE_UNSTAGE_VOLUME,
      NodeCapability.GET_VOLUME_STATS,
      NodeCapability.EXPAND_VOLUME,
      NodeCapability.VOLUME_CONDITION,
    ]) {
      assert.ok(types.includes(wanted), `NodeGetCapabilities lacks ${NodeCapability[wanted]}`);
    }
  });

  const path = (...parts: string[]) => join(node().kubeletDir, "spec-table", ...parts);
  const missingFields: Array<[string, () => Promise<unknown>]> = [
    [
      "NodeStageVolume without a volume id",
      () =>
        node().csi.node.nodeStageVolume({
          stagingTargetPath: path("globalmount"),
          volumeCapability: CAPABILITY,
        }),
    ],
    [
      "NodePublishVolume without a volume id",
      () =>
        node().csi.node.nodePublishVolume({
          stagingTargetPath: path("globalmount"),
          targetPath: path("mount"),
          volumeCapability: CAPABILITY,
        }),
    ],
    [
      "NodePublishVolume without a target path",
      () =>
        node().csi.node.nodePublishVolume({
          volumeId: WELL_FORMED_UNKNOWN_VOLUME,
          stagingTargetPath: path("globalmount"),
          volumeCapability: CAPABILITY,
        }),
    ],
    [
      "NodePublishVolume without a volume capability",
      () =>
        node().csi.node.nodePublishVolume({
          volumeId: WELL_FORMED_UNKNOWN_VOLUME,
          stagingTargetPath: path("globalmount"),
          targetPath: path("mount"),
        }),
    ],
    [
      "NodeUnpublishVolume without a volume id",
      () => node().csi.node.nodeUnpublishVolume({ targetPath: path("mount") }),
    ],
    [
      "NodeUnpublishVolume without a target path",
      () => node().csi.node.nodeUnpublishVolume({ volumeId: WELL_FORMED_UNKNOWN_VOLUME }),
    ],
    [
      "NodeUnstageVolume without a volume id",
      () => node().csi.node.nodeUnstageVolume({ stagingTargetPath: path("globalmount") }),
    ],
    [
      "NodeUnstageVolume without a staging target path",
      () => node().csi.node.nodeUnstageVolume({ volumeId: WELL_FORMED_UNKNOWN_VOLUME }),
    ],
    [
      "NodeGetVolumeStats without a volume id",
      () => node().csi.node.nodeGetVolumeStats({ volumePath: path("mount") }),
    ],
    [
      "NodeGetVolumeStats without a volume path",
      () => node().csi.node.nodeGetVolumeStats({ volumeId: WELL_FORMED_UNKNOWN_VOLUME }),
    ],
    [
      "NodeExpandVolume without a volume id",
      () => node().csi.node.nodeExpandVolume({ volumePath: path("mount") }),
    ],
    [
      "NodeExpandVolume without a volume path",
      () => node().csi.node.nodeExpandVolume({ volumeId: WELL_FORMED_UNKNOWN_VOLUME }),
    ],
  ];
  for (const [what, call] of missingFields) {
    test(`${what} is InvalidArgument`, async () => {
      await expectCode(call(), status.INVALID_ARGUMENT);
    });
  }

  test("NodeStageVolume without a staging target path is InvalidArgument", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await expectCode(
      node().csi.node.nodeStageVolume({
        volumeId: volume.volumeId,
        publishContext: volume.publishContext,
        volumeCapability: CAPABILITY,
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("NodeStageVolume without a volume capability is InvalidArgument", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await expectCode(
      node().csi.node.nodeStageVolume({
        volumeId: volume.volumeId,
        publishContext: volume.publishContext,
        stagingTargetPath: volume.stagingTargetPath,
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("NodeStageVolume ten times mounts the volume once at the staging path", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await repeat(10, () => stage(node(), volume));
    assert.equal(await node().mountsAt(volume.stagingTargetPath), 1);
    assert.equal(await node().fsTypeAt(volume.stagingTargetPath), "xfs");
  });

  test("NodePublishVolume without a staging target path is FailedPrecondition", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await stage(node(), volume);
    await expectCode(
      node().csi.node.nodePublishVolume({
        volumeId: volume.volumeId,
        publishContext: volume.publishContext,
        targetPath: volume.targetPath,
        volumeCapability: CAPABILITY,
      }),
      status.FAILED_PRECONDITION,
    );
  });

  test("NodePublishVolume ten times bind-mounts the volume once at the target", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await stage(node(), volume);
    await repeat(10, () => publish(node(), volume));
    assert.equal(await node().mountsAt(volume.targetPath), 1);
    assert.equal(await node().fsTypeAt(volume.targetPath), "xfs");
  });

  test("NodePublishVolume at a published target with a different readonly flag is AlreadyExists", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await stage(node(), volume);
    await publish(node(), volume);
    await expectCode(publish(node(), volume, true), status.ALREADY_EXISTS);
  });

  test("NodeGetVolumeStats reports bytes and inodes of a published volume and a normal condition", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await stage(node(), volume);
    await publish(node(), volume);
    const stats = await node().csi.node.nodeGetVolumeStats({
      volumeId: volume.volumeId,
      volumePath: volume.targetPath,
    });
    const bytes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.BYTES);
    const inodes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.INODES);
    assert.ok(bytes && bytes.total > 0n && bytes.total <= (node().volumeBytes ?? GiB));
    assert.ok(inodes && inodes.total > 0n);
    assert.equal(stats.volumeCondition?.abnormal, false);
  });

  test("NodeGetVolumeStats of a path that holds no volume is NotFound", async (t) => {
    if (!withVolume(t)) return;
    await expectCode(
      node().csi.node.nodeGetVolumeStats({
        volumeId: WELL_FORMED_UNKNOWN_VOLUME,
        volumePath: join(node().kubeletDir, "never-published"),
      }),
      status.NOT_FOUND,
    );
  });

  test("NodeExpandVolume of a path that holds no volume is NotFound", async (t) => {
    if (!withVolume(t)) return;
    await expectCode(
      node().csi.node.nodeExpandVolume({
        volumeId: WELL_FORMED_UNKNOWN_VOLUME,
        volumePath: join(node().kubeletDir, "never-published"),
      }),
      status.NOT_FOUND,
    );
  });

  test("NodeUnpublishVolume and NodeUnstageVolume ten times each leave no mount behind", async (t) => {
    if (!withVolume(t)) return;
    const volume = await node().attachVolume(t, CAPABILITY);
    await stage(node(), volume);
    await publish(node(), volume);
    await repeat(10, () =>
      node().csi.node.nodeUnpublishVolume({ volumeId: volume.volumeId, targetPath: volume.targetPath }),
    );
    await repeat(10, () =>
      node().csi.node.nodeUnstageVolume({
        volumeId: volume.volumeId,
        stagingTargetPath: volume.stagingTargetPath,
      }),
    );
    assert.equal(await node().mountsAt(volume.targetPath), 0);
    assert.equal(await node().mountsAt(volume.stagingTargetPath), 0);
  });

  test("NodeUnpublishVolume of a target that was never published is OK", async (t) => {
    if (!withVolume(t)) return;
    await node().csi.node.nodeUnpublishVolume({
      volumeId: WELL_FORMED_UNKNOWN_VOLUME,
      targetPath: join(node().kubeletDir, "never", "mount"),
    });
  });

  test("NodeUnstageVolume of a staging path that was never staged is OK", async (t) => {
    if (!withVolume(t)) return;
    await node().csi.node.nodeUnstageVolume({
      volumeId: WELL_FORMED_UNKNOWN_VOLUME,
      stagingTargetPath: join(node().kubeletDir, "never", "globalmount"),
    });
  });
}
