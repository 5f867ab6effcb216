import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ControllerServiceCapability_RPC_Type as ControllerRpc,
  type DeepPartial,
  type VolumeCapability,
  VolumeCapability_AccessMode_Mode,
  VolumeUsage_Unit,
} from "../generated/csi.js";
import { ZONE_TOPOLOGY_KEY } from "../shared/topology-keys.js";
import type { CsiClient } from "./csi-client.js";
import { groupSnapshotStep } from "./group-snapshot-step.js";
import { formatBytes, type ProgressReporter } from "./progress.js";
import { createUntilReady } from "./until-ready.js";

const GiB = 1024n ** 3n;
const DATA_FILE = "ballast-demo.bin";
const DATA_BYTES = 4 * 1024 * 1024;

export interface TourOptions {
  /** Tier the volume is created in (the StorageClass `type` parameter). */
  tier: string;
  /** Tier ControllerModifyVolume moves it to. */
  modifyTo: string;
  /** Zone to create in; the node's zone when absent. */
  zone?: string | undefined;
  fsType: "xfs" | "ext4";
  sizeGiB: number;
  expandToGiB: number;
  /** Directory for staging and target paths, as kubelet's /var/lib/kubelet. */
  workDir: string;
  /** Prefix of every CO name, so a run's volumes are recognisable. */
  namePrefix: string;
  /** Also take a group snapshot of two volumes and restore both members (one more step). */
  groupSnapshot?: boolean | undefined;
}

/** The number of progress lines a tour prints (its steps plus the clean-up step). */
export const TOUR_STEPS = 14;

/** The lines a tour with these options prints. */
export function tourSteps(options: { groupSnapshot?: boolean | undefined }): number {
  return TOUR_STEPS + (options.groupSnapshot ? 1 : 0);
}

type Undo = { what: string; run: () => Promise<unknown> };

/**
 * What the tour created and how to remove it, newest first, so clean-up after any failure
 * unwinds exactly as far as the tour got.
 */
export class UndoStack {
  private readonly entries: Undo[] = [];

  push(what: string, run: () => Promise<unknown>): void {
    this.entries.push({ what, run });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Runs every undo (newest first), continuing past failures; returns the failures. */
  async unwind(): Promise<string[]> {
    const failures: string[] = [];
    while (this.entries.length > 0) {
      const entry = this.entries.pop() as Undo;
      try {
        await entry.run();
      } catch (error) {
        failures.push(`${entry.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures;
  }
}

interface Mounted {
  volumeId: string;
  stagingTargetPath: string;
  targetPath: string;
}

export interface TourRecord {
  volumeIds: string[];
  snapshotIds: string[];
  /** Whether the driver advertises LIST_SNAPSHOTS, once the tour has asked it. */
  listsSnapshots: boolean;
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Walks one volume through its life over CSI exactly as Kubernetes would drive it: provision,
 * attach, stage, publish, write, snapshot, restore, clone, expand online, change tier, stats,
 * and clean-up. Every step prints one line through `progress`; any failure stops the walk, and
 * the caller unwinds `undo` so nothing is left behind. `record` collects what was created, for
 * the caller's final check that none of it is still listed.
 */
export async function tourOneVolume(
  csi: CsiClient,
  options: TourOptions,
  progress: ProgressReporter,
  undo: UndoStack,
  record: TourRecord,
): Promise<void> {
  const capability: DeepPartial<VolumeCapability> = {
    accessType: { $case: "mount", value: { fsType: options.fsType } },
    accessMode: { mode: VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER },
  };
  const readOnlyCapability: DeepPartial<VolumeCapability> = {
    ...capability,
    accessMode: { mode: VolumeCapability_AccessMode_Mode.SINGLE_NODE_READER_ONLY },
  };

  await progress.step("plugin", async () => {
    const info = await csi.identity.getPluginInfo();
    const probe = await csi.identity.probe();
    if (probe.ready === false) throw new Error(`${info.name} answers but reports not ready`);
    return { value: undefined, detail: `${info.name} ${info.vendorVersion}, ready` };
  });

  const node = await progress.step("node", async () => {
    const info = await csi.node.nodeGetInfo();
    const zone = info.accessibleTopology?.segments[ZONE_TOPOLOGY_KEY];
    if (!zone) throw new Error(`NodeGetInfo has no ${ZONE_TOPOLOGY_KEY} segment`);
    return {
      value: { nodeId: info.nodeId, zone },
      detail: `node ${info.nodeId} in zone ${zone}, up to ${info.maxVolumesPerNode} volumes`,
    };
  });
  const zone = options.zone ?? node.zone;

  // What the driver's provider can do decides which steps run; a skipped step says why.
  const { capabilities } = await csi.controller.controllerGetCapabilities({});
  const advertised = new Set(
    capabilities.flatMap((c) => (c.type?.$case === "rpc" ? [c.type.value.type] : [])),
  );
  record.listsSnapshots = advertised.has(ControllerRpc.LIST_SNAPSHOTS);
  // Only a driver that can change a volume's tier has tiers to ask for.
  const tiers = advertised.has(ControllerRpc.MODIFY_VOLUME);
  const skipped = (rpc: string) => ({
    value: undefined,
    detail: `skipped: the driver does not advertise ${rpc} (its provider cannot do it)`,
  });

  const createVolume = async (
    suffix: string,
    source?:
      | { $case: "snapshot"; value: { snapshotId: string } }
      | { $case: "volume"; value: { volumeId: string } },
  ) => {
    const { volume } = await csi.controller.createVolume({
      name: `${options.namePrefix}-${suffix}`,
      capacityRange: { requiredBytes: BigInt(options.sizeGiB) * GiB },
      volumeCapabilities: [capability],
      parameters: tiers ? { type: options.tier } : {},
      accessibilityRequirements: {
        requisite: [{ segments: { [ZONE_TOPOLOGY_KEY]: zone } }],
        preferred: [{ segments: { [ZONE_TOPOLOGY_KEY]: zone } }],
      },
      ...(source === undefined ? {} : { volumeContentSource: { type: source } }),
    });
    if (volume === undefined) throw new Error("CreateVolume answered no volume");
    record.volumeIds.push(volume.volumeId);
    undo.push(`DeleteVolume ${volume.volumeId}`, () =>
      csi.controller.deleteVolume({ volumeId: volume.volumeId }),
    );
    return volume;
  };

  const attach = async (volumeId: string, stack: UndoStack) => {
    stack.push(`ControllerUnpublishVolume ${volumeId}`, () =>
      csi.controller.controllerUnpublishVolume({ volumeId, nodeId: node.nodeId }),
    );
    const { publishContext } = await csi.controller.controllerPublishVolume({
      volumeId,
      nodeId: node.nodeId,
      volumeCapability: capability,
    });
    return publishContext;
  };

  const mount = async (
    volumeId: string,
    publishContext: Record<string, string>,
    readonly: boolean,
    stack: UndoStack,
  ): Promise<Mounted> => {
    const stagingTargetPath = join(options.workDir, volumeId, "globalmount");
    const targetPath = join(options.workDir, volumeId, "pod");
    await mkdir(stagingTargetPath, { recursive: true });
    stack.push(`NodeUnstageVolume ${stagingTargetPath}`, () =>
      csi.node.nodeUnstageVolume({ volumeId, stagingTargetPath }),
    );
    await csi.node.nodeStageVolume({
      volumeId,
      publishContext,
      stagingTargetPath,
      volumeCapability: capability,
    });
    stack.push(`NodeUnpublishVolume ${targetPath}`, () =>
      csi.node.nodeUnpublishVolume({ volumeId, targetPath }),
    );
    await csi.node.nodePublishVolume({
      volumeId,
      publishContext,
      stagingTargetPath,
      targetPath,
      volumeCapability: readonly ? readOnlyCapability : capability,
      readonly,
    });
    return { volumeId, stagingTargetPath, targetPath };
  };

  /**
   * Mounts a restored or cloned volume read-only, compares the file, and releases the mount and
   * the attachment at once (its own undo stack), leaving the original mounted.
   */
  const verifyCopy = async (volumeId: string, expected: string): Promise<void> => {
    const stack = new UndoStack();
    let failure: unknown;
    try {
      const mounted = await mount(volumeId, await attach(volumeId, stack), true, stack);
      const actual = sha256(await readFile(join(mounted.targetPath, DATA_FILE)));
      if (actual !== expected) {
        throw new Error(`${DATA_FILE} on ${volumeId} has sha256 ${actual}, expected ${expected}`);
      }
    } catch (error) {
      failure = error;
    }
    const releaseFailures = await stack.unwind();
    if (failure !== undefined) throw failure;
    if (releaseFailures.length > 0) throw new Error(`releasing ${volumeId}: ${releaseFailures.join("; ")}`);
  };

  const volume = await progress.step("create", async () => {
    const created = await createVolume("data");
    return {
      value: created,
      detail: `${created.volumeId}, ${formatBytes(created.capacityBytes)} ${tiers ? options.tier : "(the provider's one kind)"} in ${zone}`,
    };
  });

  const publishContext = await progress.step("attach", async () => {
    const context = await attach(volume.volumeId, undo);
    return { value: context, detail: `to ${node.nodeId} as ${context.byIdPath ?? context.serial}` };
  });

  const mounted = await progress.step("stage + publish", async () => {
    const value = await mount(volume.volumeId, publishContext, false, undo);
    return { value, detail: `${options.fsType} at ${value.targetPath}` };
  });

  const checksum = await progress.step("write", async () => {
    const data = randomBytes(DATA_BYTES);
    await writeFile(join(mounted.targetPath, DATA_FILE), data, { flush: true });
    const digest = sha256(data);
    return {
      value: digest,
      detail: `${formatBytes(DATA_BYTES)} ${DATA_FILE}, sha256 ${digest.slice(0, 16)}…`,
    };
  });

  if (options.groupSnapshot) {
    await groupSnapshotStep({
      csi,
      progress,
      undo,
      record,
      namePrefix: options.namePrefix,
      dataFile: DATA_FILE,
      first: { volumeId: volume.volumeId, checksum },
      createVolume: (suffix, source) => createVolume(suffix, source),
      mountWritable: async (volumeId) => mount(volumeId, await attach(volumeId, undo), false, undo),
      verifyCopy,
    });
  }

  const snapshots = advertised.has(ControllerRpc.CREATE_DELETE_SNAPSHOT);
  const snapshot = await progress.step("snapshot", async () => {
    if (!snapshots) return skipped("CREATE_DELETE_SNAPSHOT");
    const name = `${options.namePrefix}-snap`;
    const current = await createUntilReady(
      `snapshot ${name}`,
      async () => (await csi.controller.createSnapshot({ name, sourceVolumeId: volume.volumeId })).snapshot,
      (created) => {
        record.snapshotIds.push(created.snapshotId);
        undo.push(`DeleteSnapshot ${created.snapshotId}`, () =>
          csi.controller.deleteSnapshot({ snapshotId: created.snapshotId }),
        );
      },
    );
    return {
      value: current,
      detail: `${current.snapshotId}, ${formatBytes(current.sizeBytes)}, ready to use`,
    };
  });

  await progress.step("restore", async () => {
    if (snapshot === undefined) return skipped("CREATE_DELETE_SNAPSHOT");
    const restored = await createVolume("restore", {
      $case: "snapshot",
      value: { snapshotId: snapshot.snapshotId },
    });
    await verifyCopy(restored.volumeId, checksum);
    return { value: undefined, detail: `${restored.volumeId} from ${snapshot.snapshotId}, checksum matches` };
  });

  await progress.step("clone", async () => {
    if (!advertised.has(ControllerRpc.CLONE_VOLUME)) return skipped("CLONE_VOLUME");
    const clone = await createVolume("clone", { $case: "volume", value: { volumeId: volume.volumeId } });
    await verifyCopy(clone.volumeId, checksum);
    return { value: undefined, detail: `${clone.volumeId} from ${volume.volumeId}, checksum matches` };
  });

  await progress.step("expand online", async () => {
    // A cloud whose smallest volume is larger than asked for (Hetzner: 10 GB) grows from what it made.
    const before = volume.capacityBytes;
    const asked = BigInt(options.expandToGiB) * GiB;
    const requiredBytes = asked > before ? asked : before + GiB;
    const expanded = await csi.controller.controllerExpandVolume({
      volumeId: volume.volumeId,
      capacityRange: { requiredBytes },
      volumeCapability: capability,
    });
    if (expanded.nodeExpansionRequired) {
      await csi.node.nodeExpandVolume({
        volumeId: volume.volumeId,
        volumePath: mounted.targetPath,
        stagingTargetPath: mounted.stagingTargetPath,
        capacityRange: { requiredBytes },
        volumeCapability: capability,
      });
    }
    const stats = await csi.node.nodeGetVolumeStats({
      volumeId: volume.volumeId,
      volumePath: mounted.targetPath,
    });
    const bytes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.BYTES);
    if (bytes === undefined || bytes.total <= before) {
      throw new Error(`the filesystem still has ${formatBytes(bytes?.total ?? 0n)} after growing the volume`);
    }
    return {
      value: undefined,
      detail: `${formatBytes(before)} → ${formatBytes(expanded.capacityBytes)}, filesystem ${formatBytes(bytes.total)}, still mounted`,
    };
  });

  await progress.step("modify tier", async () => {
    if (!tiers) return skipped("MODIFY_VOLUME");
    await csi.controller.controllerModifyVolume({
      volumeId: volume.volumeId,
      mutableParameters: { type: options.modifyTo },
    });
    return { value: undefined, detail: `${options.tier} → ${options.modifyTo}` };
  });

  await progress.step("stats", async () => {
    const stats = await csi.node.nodeGetVolumeStats({
      volumeId: volume.volumeId,
      volumePath: mounted.targetPath,
    });
    const bytes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.BYTES);
    const inodes = stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.INODES);
    if (stats.volumeCondition?.abnormal)
      throw new Error(`volume condition abnormal: ${stats.volumeCondition.message}`);
    const content = await readFile(join(mounted.targetPath, DATA_FILE));
    if (sha256(content) !== checksum) throw new Error(`${DATA_FILE} changed while the volume grew`);
    return {
      value: undefined,
      detail: `${formatBytes(bytes?.used ?? 0n)} used of ${formatBytes(bytes?.total ?? 0n)}, ${inodes?.used ?? 0n} of ${inodes?.total ?? 0n} inodes, condition normal`,
    };
  });
}
