import assert from "node:assert/strict";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createExec } from "../../src/node/exec.js";
import { createLogger } from "../../src/observability/logger.js";
import { requireRoot } from "../helpers/root.js";
import { DeviceLab, invoke, labDriver, newVolumeId, sh, spyingExec } from "./device-lab.js";
import { mountCapability, publishRequest, stageRequest } from "./requests.js";

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function mountPointsOf(lab: DeviceLab): Promise<string[]> {
  return (await lab.mountsUnder()).map((point) => point.slice(lab.root.length));
}

/** A tmpfs with a file in it, mounted where kubelet would put a target: somebody else's data. */
async function foreignTmpfs(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  await sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", path);
  const file = join(path, "precious.txt");
  await writeFile(file, "not the driver's\n");
  return file;
}

async function stagedAndPublished(lab: DeviceLab, fsType = "ext4") {
  const exec = spyingExec(createExec(createLogger("silent")));
  const driver = await labDriver(lab, { exec });
  const volume = await lab.addVolume(fsType === "xfs" ? 320 : 64);
  const staging = lab.path("staging");
  const target = lab.path("target");
  await invoke(driver.handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability(fsType)));
  await invoke(
    driver.handlers.nodePublishVolume,
    publishRequest(volume, staging, target, mountCapability(fsType)),
  );
  return { ...driver, exec, volume, staging, target };
}

describe("node calls never act on what is not the volume's", { concurrency: true }, () => {
  test("NodeUnpublishVolume of a volume that is not attached leaves a foreign tmpfs mounted, with its file and directory", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const target = lab.path("target");
    const file = await foreignTmpfs(target);
    const volumeId = newVolumeId();

    await assert.rejects(invoke(handlers.nodeUnpublishVolume, { volumeId, targetPath: target }), {
      code: status.FAILED_PRECONDITION,
      details: `${target} has tmpfs (tmpfs, device ${(await sh("mountpoint", "-d", target)).trim()}) mounted, which is not volume ${volumeId}'s device (the volume is not attached to this node); nothing was unmounted`,
    });
    assert.deepEqual(await mountPointsOf(lab), ["/kubelet/target"]);
    assert.equal(await readFile(file, "utf8"), "not the driver's\n");
  });

  test("NodeUnpublishVolume never deletes a regular file it did not bind a device onto", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const target = lab.path("target");
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, "somebody's file\n");

    await invoke(handlers.nodeUnpublishVolume, { volumeId: newVolumeId(), targetPath: target });
    assert.equal(await readFile(target, "utf8"), "somebody's file\n");
  });

  test("NodeUnstageVolume with another volume's id leaves the staged volume mounted", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, volume, staging } = await stagedAndPublished(lab);
    const other = await lab.addVolume(64);

    await assert.rejects(
      invoke(handlers.nodeUnstageVolume, { volumeId: other.volumeId, stagingTargetPath: staging }),
      {
        code: status.FAILED_PRECONDITION,
        details: `${staging} has ${volume.loop} (ext4, device ${(await sh("mountpoint", "-d", staging)).trim()}) mounted, which is not volume ${other.volumeId}'s device ${other.loop}; nothing was unmounted`,
      },
    );
    assert.deepEqual((await mountPointsOf(lab)).sort(), ["/kubelet/staging", "/kubelet/target"]);
  });

  test("NodeUnpublishVolume with another volume's id leaves the published volume mounted", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, target } = await stagedAndPublished(lab);
    const other = await lab.addVolume(64);

    await assert.rejects(
      invoke(handlers.nodeUnpublishVolume, { volumeId: other.volumeId, targetPath: target }),
      {
        code: status.FAILED_PRECONDITION,
      },
    );
    assert.deepEqual((await mountPointsOf(lab)).sort(), ["/kubelet/staging", "/kubelet/target"]);
    await access(join(target, "lost+found"));
  });

  test("NodeExpandVolume with the id of a volume that is not attached grows nothing and is NotFound", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, exec, volume, target } = await stagedAndPublished(lab, "xfs");
    await lab.grow(volume, 480);
    const volumeId = newVolumeId();
    const before = exec.calls.length;

    await assert.rejects(
      invoke(handlers.nodeExpandVolume, {
        volumeId,
        volumePath: target,
        capacityRange: { requiredBytes: 0n, limitBytes: 0n },
        stagingTargetPath: "",
        secrets: {},
      }),
      {
        code: status.NOT_FOUND,
        details: `volume ${volumeId} is not attached to this node (no device link in ${lab.byIdDir})`,
      },
    );
    assert.deepEqual(exec.calls.slice(before), []);
  });

  test("NodeGetVolumeStats of / with the id of a volume that is not attached is NotFound, not the host's disk", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);

    await assert.rejects(
      invoke(handlers.nodeGetVolumeStats, {
        volumeId: newVolumeId(),
        volumePath: "/",
        stagingTargetPath: "",
      }),
      { code: status.NOT_FOUND },
    );
  });

  test("a NodeStageVolume that fails removes the staging directories it created", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    await sh(
      "dd",
      "if=/dev/urandom",
      `of=${volume.loop}`,
      "bs=4096",
      "count=4",
      "seek=512",
      "conv=notrunc,fsync",
    );
    const staging = lab.path("plugins", "pv-1", "globalmount");

    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("ext4"))),
      {
        code: status.FAILED_PRECONDITION,
      },
    );
    assert.equal(await exists(lab.path("plugins")), false);
  });
});
