import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { VolumeCapability_AccessMode_Mode as Mode } from "../../src/generated/csi.js";
import { createExec } from "../../src/node/exec.js";
import { parseMountInfo } from "../../src/node/mount-table.js";
import { createLogger } from "../../src/observability/logger.js";
import { requireRoot } from "../helpers/root.js";
import {
  checksumOf,
  DeviceLab,
  invoke,
  type LabVolume,
  labDriver,
  sh,
  spyingExec,
  writeChecksummed,
} from "./device-lab.js";
import { blockCapability, mountCapability, publishRequest, stageRequest } from "./requests.js";

/** Commands that write to a device; none may run for a volume other nodes may be reading. */
const WRITING_COMMANDS = ["mkfs.ext4", "mkfs.xfs", "e2fsck", "resize2fs", "xfs_growfs"];

async function mountAt(path: string) {
  const entries = parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"));
  const entry = entries.findLast((candidate) => candidate.mountPoint === path);
  assert.ok(entry, `nothing is mounted at ${path}`);
  return entry;
}

async function mountOptionsOf(path: string): Promise<string[]> {
  return (await mountAt(path)).mountOptions;
}

/** A volume holding a file, written once by a single-node writer, as a CO would populate it. */
async function populated(lab: DeviceLab, fsType: string): Promise<{ volume: LabVolume; sum: string }> {
  const { handlers } = await labDriver(lab);
  const volume = await lab.addVolume(320);
  const staging = lab.path("writer");
  await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability(fsType)));
  const sum = await writeChecksummed(`${staging}/data.bin`);
  await invoke(handlers.nodeUnstageVolume, { volumeId: volume.volumeId, stagingTargetPath: staging });
  return { volume, sum };
}

function writingCommands(calls: string[][]): string[] {
  return calls
    .map(([command]) => command ?? "")
    .filter((command) => WRITING_COMMANDS.some((w) => command.endsWith(w)));
}

describe("MULTI_NODE_READER_ONLY on the node", { concurrency: true }, () => {
  for (const fsType of ["ext4", "xfs"]) {
    test(`${fsType}: two nodes stage and publish the volume read-only, read its data, and nothing writes to it`, async (t) => {
      if (!requireRoot(t)) return;
      const lab = await DeviceLab.create();
      t.after(() => lab.cleanup());
      const { volume, sum } = await populated(lab, fsType);
      // The device grew after the data was written: a reader must not grow the filesystem.
      await lab.grow(volume, 400);
      const capability = mountCapability(fsType, [], Mode.MULTI_NODE_READER_ONLY);
      const exec = spyingExec(createExec(createLogger("silent")));
      for (const node of ["node-a", "node-b"]) {
        const { handlers } = await labDriver(lab, { exec });
        const staging = lab.path(node, "staging");
        const target = lab.path(node, "pods", "p", "mount");
        await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
        await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
        await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, capability, true));
        assert.ok((await mountOptionsOf(staging)).includes("ro"));
        assert.ok((await mountOptionsOf(target)).includes("ro"));
        // Neither ext4 (noload) nor xfs replays its journal on a device other nodes read.
        assert.ok((await mountAt(staging)).superOptions.includes("norecovery"));
        assert.equal(await checksumOf(`${target}/data.bin`), sum);
        await assert.rejects(writeFile(`${target}/other.bin`, "x"), { code: "EROFS" });
      }
      assert.deepEqual(writingCommands(exec.calls), []);
    });
  }

  test("publishing without readonly still mounts read-only: the mode allows no writer", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { volume } = await populated(lab, "ext4");
    const { handlers } = await labDriver(lab);
    const capability = mountCapability("ext4", [], Mode.MULTI_NODE_READER_ONLY);
    const staging = lab.path("staging");
    const target = lab.path("pods", "p", "mount");
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, capability, false));
    assert.ok((await mountOptionsOf(target)).includes("ro"));
  });

  test("a blank volume is refused with FailedPrecondition, never formatted and never mounted", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const exec = spyingExec(createExec(createLogger("silent")));
    const { handlers } = await labDriver(lab, { exec });
    const volume = await lab.addVolume(64);
    const capability = mountCapability("ext4", [], Mode.MULTI_NODE_READER_ONLY);
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), capability)),
      {
        code: status.FAILED_PRECONDITION,
        details: new RegExp(
          `^device /dev/loop\\d+ of volume ${volume.volumeId} is blank: a MULTI_NODE_READER_ONLY volume`,
        ),
      },
    );
    assert.deepEqual(writingCommands(exec.calls), []);
    await assert.rejects(sh("blkid", "-p", volume.loop), { code: 2 });
    assert.deepEqual(await lab.mountsUnder(), []);
  });

  test("raw block: stage and publish bind the device read-only", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    const capability = blockCapability(Mode.MULTI_NODE_READER_ONLY);
    const staging = lab.path("staging");
    const target = lab.path("pods", "p", "dev");
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, capability, true));
    assert.ok((await mountOptionsOf(target)).includes("ro"));
  });

  test("MULTI_NODE_MULTI_WRITER stays refused with FailedPrecondition", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    const capability = mountCapability("ext4", [], Mode.MULTI_NODE_MULTI_WRITER);
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), capability)),
      {
        code: status.FAILED_PRECONDITION,
        details: /MULTI_NODE_MULTI_WRITER is not supported/,
      },
    );
  });
});
