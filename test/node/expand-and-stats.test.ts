import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import type { NodeExpandVolumeResponse, NodeGetVolumeStatsResponse } from "../../src/generated/csi.js";
import { VolumeCapability_AccessMode_Mode, VolumeUsage_Unit } from "../../src/generated/csi.js";
import { requireRoot } from "../helpers/root.js";
import { checksumOf, DeviceLab, invoke, labDriver, sh, writeChecksummed } from "./device-lab.js";
import { blockCapability, mountCapability, publishRequest, stageRequest } from "./requests.js";

const MiB = 1024n * 1024n;
const CAP_SYS_RESOURCE = 24n;

async function holdsCapSysResource(): Promise<boolean> {
  const capEff = (await readFile("/proc/self/status", "utf8")).match(/^CapEff:\s+([0-9a-f]+)$/m)?.[1] ?? "0";
  return ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

function bytesTotal(stats: NodeGetVolumeStatsResponse): bigint | undefined {
  return stats.usage.find((usage) => usage.unit === VolumeUsage_Unit.BYTES)?.total;
}

async function stagedAndPublished(lab: DeviceLab, sizeMiB: number, fsType: string) {
  const driver = await labDriver(lab);
  const volume = await lab.addVolume(sizeMiB);
  const staging = lab.path("staging");
  const target = lab.path("target");
  await invoke(driver.handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability(fsType)));
  await invoke(
    driver.handlers.nodePublishVolume,
    publishRequest(volume, staging, target, mountCapability(fsType)),
  );
  return { ...driver, volume, staging, target };
}

describe("expansion and stats", { concurrency: true }, () => {
  test("xfs grows online to the new device size, and stats show it", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, volume, target } = await stagedAndPublished(lab, 320, "xfs");
    const before = await invoke<unknown, NodeGetVolumeStatsResponse>(handlers.nodeGetVolumeStats, {
      volumeId: volume.volumeId,
      volumePath: target,
      stagingTargetPath: "",
    });
    await lab.grow(volume, 480);
    const expanded = await invoke<unknown, NodeExpandVolumeResponse>(handlers.nodeExpandVolume, {
      volumeId: volume.volumeId,
      volumePath: target,
      capacityRange: { requiredBytes: 480n * MiB, limitBytes: 0n },
      stagingTargetPath: "",
      secrets: {},
    });
    assert.equal(expanded.capacityBytes, 480n * MiB);
    const after = await invoke<unknown, NodeGetVolumeStatsResponse>(handlers.nodeGetVolumeStats, {
      volumeId: volume.volumeId,
      volumePath: target,
      stagingTargetPath: "",
    });
    const grownBy = (bytesTotal(after) ?? 0n) - (bytesTotal(before) ?? 0n);
    assert.ok(grownBy >= 150n * MiB, `xfs grew by only ${grownBy} bytes`);
    assert.equal(after.volumeCondition?.abnormal, false);
  });

  test("xfs published only read-only grows through its read-write staging mount", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(320);
    const staging = lab.path("staging");
    const target = lab.path("target");
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("xfs")));
    await invoke(
      handlers.nodePublishVolume,
      publishRequest(volume, staging, target, mountCapability("xfs"), true),
    );
    await lab.grow(volume, 480);
    const expanded = await invoke<unknown, NodeExpandVolumeResponse>(handlers.nodeExpandVolume, {
      volumeId: volume.volumeId,
      volumePath: target,
      capacityRange: { requiredBytes: 480n * MiB, limitBytes: 0n },
      stagingTargetPath: staging,
      secrets: {},
    });
    assert.equal(expanded.capacityBytes, 480n * MiB);
    const info = await sh("xfs_info", staging);
    const [, blockSize, blocks] = info.match(/^data\s+=\s+bsize=(\d+)\s+blocks=(\d+)/m) ?? [];
    assert.ok(BigInt(blockSize ?? 0) * BigInt(blocks ?? 0) > 470n * MiB, `xfs_info says: ${info}`);
  });

  test("a filesystem mounted only read-only on the node is not grown: FailedPrecondition saying so", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(320);
    const staging = lab.path("staging");
    const target = lab.path("target");
    const readerOnly = mountCapability("xfs", [], VolumeCapability_AccessMode_Mode.SINGLE_NODE_READER_ONLY);
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, readerOnly));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, readerOnly));
    await lab.grow(volume, 480);
    await assert.rejects(
      invoke(handlers.nodeExpandVolume, {
        volumeId: volume.volumeId,
        volumePath: target,
        capacityRange: { requiredBytes: 480n * MiB, limitBytes: 0n },
        stagingTargetPath: staging,
        secrets: {},
      }),
      {
        code: status.FAILED_PRECONDITION,
        details: `volume ${volume.volumeId} is mounted only read-only on this node (${target}), so its xfs filesystem cannot be grown here; it grows where it is mounted read-write`,
      },
    );
  });

  test("ext4 grows online where CAP_SYS_RESOURCE is held, otherwise the error names the capability", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, volume, target } = await stagedAndPublished(lab, 64, "ext4");
    await lab.grow(volume, 128);
    const request = {
      volumeId: volume.volumeId,
      volumePath: target,
      capacityRange: { requiredBytes: 128n * MiB, limitBytes: 0n },
      stagingTargetPath: "",
      secrets: {},
    };
    if (await holdsCapSysResource()) {
      const expanded = await invoke<unknown, NodeExpandVolumeResponse>(handlers.nodeExpandVolume, request);
      assert.equal(expanded.capacityBytes, 128n * MiB);
      assert.match(await sh("dumpe2fs", "-h", volume.loop), /^Block count:\s+(131072|32768)$/m);
    } else {
      await assert.rejects(invoke(handlers.nodeExpandVolume, request), {
        code: status.PERMISSION_DENIED,
        details: new RegExp(`growing the mounted ext4 on ${volume.loop} needs CAP_SYS_RESOURCE`),
      });
    }
  });

  test("ext4 smaller than its device grows offline at stage, data intact", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    await sh("mkfs.ext4", "-q", "-F", "-b", "4096", volume.loop);
    const pre = join(lab.root, "pre");
    await sh("mkdir", "-p", pre);
    await sh("mount", volume.loop, pre);
    const sum = await writeChecksummed(join(pre, "data.bin"));
    await sh("umount", pre);
    await lab.grow(volume, 160);

    const staging = lab.path("staging");
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("ext4")));
    assert.match(await sh("dumpe2fs", "-h", volume.loop), /^Block count:\s+40960$/m);
    assert.equal(await checksumOf(join(staging, "data.bin")), sum);
  });

  test("a raw block volume reports its device size; a size the device lacks is Unavailable", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    const staging = lab.path("staging");
    const target = lab.path("dev");
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, blockCapability()));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, blockCapability()));
    await lab.grow(volume, 96);
    const expand = (requiredBytes: bigint) =>
      invoke<unknown, NodeExpandVolumeResponse>(handlers.nodeExpandVolume, {
        volumeId: volume.volumeId,
        volumePath: target,
        capacityRange: { requiredBytes, limitBytes: 0n },
        stagingTargetPath: staging,
        volumeCapability: blockCapability(),
        secrets: {},
      });
    assert.equal((await expand(96n * MiB)).capacityBytes, 96n * MiB);
    await assert.rejects(expand(128n * MiB), { code: status.UNAVAILABLE });
    const blockStats = await invoke<unknown, NodeGetVolumeStatsResponse>(handlers.nodeGetVolumeStats, {
      volumeId: volume.volumeId,
      volumePath: target,
      stagingTargetPath: staging,
    });
    assert.deepEqual(blockStats.usage, [
      { unit: VolumeUsage_Unit.BYTES, total: 96n * MiB, available: 0n, used: 0n },
    ]);
  });

  test("stats report bytes and inodes; after the device is pulled the condition is abnormal and cleanup still works", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, volume, staging, target } = await stagedAndPublished(lab, 64, "ext4");
    const request = { volumeId: volume.volumeId, volumePath: target, stagingTargetPath: staging };
    const healthy = await invoke<unknown, NodeGetVolumeStatsResponse>(handlers.nodeGetVolumeStats, request);
    assert.equal(healthy.volumeCondition?.abnormal, false);
    assert.deepEqual(
      healthy.usage.map((usage) => usage.unit),
      [VolumeUsage_Unit.BYTES, VolumeUsage_Unit.INODES],
    );
    const inodes = healthy.usage[1];
    assert.ok(inodes !== undefined && inodes.total > 0n && inodes.used + inodes.available === inodes.total);

    await lab.pull(volume);
    const pulled = await invoke<unknown, NodeGetVolumeStatsResponse>(handlers.nodeGetVolumeStats, request);
    assert.equal(pulled.volumeCondition?.abnormal, true);
    assert.match(pulled.volumeCondition?.message ?? "", /device link of volume .* is gone/);

    await invoke(handlers.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: target });
    await invoke(handlers.nodeUnstageVolume, { volumeId: volume.volumeId, stagingTargetPath: staging });
    assert.deepEqual(await lab.mountsUnder(), []);
  });

  test("stats for a path that holds another volume are NotFound", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, target } = await stagedAndPublished(lab, 64, "ext4");
    const other = await lab.addVolume(64);
    await assert.rejects(
      invoke(handlers.nodeGetVolumeStats, {
        volumeId: other.volumeId,
        volumePath: target,
        stagingTargetPath: "",
      }),
      { code: status.NOT_FOUND },
    );
  });

  test("a stale staging mount whose device went away is unmounted and redone on the new device", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, metrics, volume, staging, target } = await stagedAndPublished(lab, 64, "ext4");
    const sum = await writeChecksummed(join(target, "data.bin"));
    await invoke(handlers.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: target });
    await sh("sync");
    await lab.pull(volume);
    const moved = await lab.reattach(volume);
    assert.notEqual(moved.loop, volume.loop);

    await invoke(handlers.nodeStageVolume, stageRequest(moved, staging, mountCapability("ext4")));
    const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
    const stagingLines = mountinfo.split("\n").filter((line) => line.includes(` ${staging} `));
    assert.equal(stagingLines.length, 1);
    assert.match(stagingLines[0] ?? "", new RegExp(` ${moved.loop} `));
    assert.equal((await metrics.nodeStaleMountRepairs.get()).values[0]?.value, 1);
    assert.equal(await checksumOf(join(staging, "data.bin")), sum);
  });
});
