import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GroupControllerServiceCapability_RPC_Type as GroupRpc,
  PluginCapability_Service_Type as ServiceType,
  type Volume,
} from "../generated/csi.js";
import type { CsiClient } from "./csi-client.js";
import { formatBytes, type ProgressReporter } from "./progress.js";
import { createUntilReady } from "./until-ready.js";
import type { TourRecord, UndoStack } from "./volume-tour.js";

const DATA_BYTES = 4 * 1024 * 1024;

/** What the volume tour lends the group step: its volumes, mounts and checks. */
export interface GroupStepKit {
  csi: CsiClient;
  progress: ProgressReporter;
  undo: UndoStack;
  record: TourRecord;
  namePrefix: string;
  dataFile: string;
  /** The tour's volume, mounted, and the checksum of the file written on it. */
  first: { volumeId: string; checksum: string };
  createVolume(
    suffix: string,
    source?: { $case: "snapshot"; value: { snapshotId: string } },
  ): Promise<Volume>;
  /** Attaches, stages and publishes read-write; released by the tour's undo. */
  mountWritable(volumeId: string): Promise<{ targetPath: string }>;
  /** Mounts a copy read-only, compares the data file's checksum, and releases it again. */
  verifyCopy(volumeId: string, expected: string): Promise<void>;
}

async function groupSnapshotsServed(csi: CsiClient): Promise<boolean> {
  const plugin = await csi.identity.getPluginCapabilities();
  const served = plugin.capabilities.some(
    (c) => c.type?.$case === "service" && c.type.value.type === ServiceType.GROUP_CONTROLLER_SERVICE,
  );
  if (!served) return false;
  const { capabilities } = await csi.groupController.groupControllerGetCapabilities({});
  return capabilities.some(
    (c) => c.type?.$case === "rpc" && c.type.value.type === GroupRpc.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT,
  );
}

/**
 * The demo's optional group snapshot: a second volume with its own file, one group snapshot of
 * both, then each member restored into a new volume and its checksum compared with the original's.
 * A driver whose provider takes no group snapshots gets a line saying so instead.
 */
export async function groupSnapshotStep(kit: GroupStepKit): Promise<void> {
  const { csi, undo, record } = kit;
  await kit.progress.step("group snapshot", async () => {
    if (!(await groupSnapshotsServed(csi))) {
      return { value: undefined, detail: "skipped: this driver's provider takes no group snapshots" };
    }
    const second = await kit.createVolume("data2");
    const mounted = await kit.mountWritable(second.volumeId);
    const data = randomBytes(DATA_BYTES);
    await writeFile(join(mounted.targetPath, kit.dataFile), data, { flush: true });
    const secondChecksum = createHash("sha256").update(data).digest("hex");

    const sourceVolumeIds = [kit.first.volumeId, second.volumeId];
    const name = `${kit.namePrefix}-group`;
    const group = await createUntilReady(
      `group snapshot ${name}`,
      async () =>
        (await csi.groupController.createVolumeGroupSnapshot({ name, sourceVolumeIds })).groupSnapshot,
      (created) => {
        record.snapshotIds.push(...created.snapshots.map((s) => s.snapshotId));
        undo.push(`DeleteVolumeGroupSnapshot ${created.groupSnapshotId}`, () =>
          csi.groupController.deleteVolumeGroupSnapshot({
            groupSnapshotId: created.groupSnapshotId,
            snapshotIds: created.snapshots.map((s) => s.snapshotId),
          }),
        );
      },
    );
    const expected = new Map([
      [kit.first.volumeId, kit.first.checksum],
      [second.volumeId, secondChecksum],
    ]);
    for (const [index, member] of group.snapshots.entries()) {
      const restored = await kit.createVolume(`group-restore-${index}`, {
        $case: "snapshot",
        value: { snapshotId: member.snapshotId },
      });
      await kit.verifyCopy(restored.volumeId, expected.get(member.sourceVolumeId) ?? "");
    }
    return {
      value: undefined,
      detail: `${group.groupSnapshotId} of ${sourceVolumeIds.length} volumes (${formatBytes(DATA_BYTES)} each), both members restored, checksums match`,
    };
  });
}
