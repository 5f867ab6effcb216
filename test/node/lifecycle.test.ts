import assert from "node:assert/strict";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { VolumeCapability_AccessMode_Mode } from "../../src/generated/csi.js";
import { requireRoot } from "../helpers/root.js";
import { checksumOf, DeviceLab, invoke, labDriver, sh, writeChecksummed } from "./device-lab.js";
import { blockCapability, mountCapability, publishRequest, stageRequest } from "./requests.js";

async function twice<T>(call: () => Promise<T>): Promise<T> {
  await call();
  return call();
}

describe("node lifecycle on loop devices", { concurrency: true }, () => {
  for (const fsType of ["ext4", "xfs"]) {
    test(`${fsType}: stage, publish rw and ro, unpublish, unstage, stage again keeps the data`, async (t) => {
      if (!requireRoot(t)) return;
      const lab = await DeviceLab.create();
      t.after(() => lab.cleanup());
      const { handlers, metrics } = await labDriver(lab);
      const volume = await lab.addVolume(320);
      const staging = lab.path("staging");
      const rw = lab.path("pods", "a", "mount");
      const ro = lab.path("pods", "b", "mount");
      const capability = mountCapability(fsType);

      await twice(() => invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability)));
      assert.equal((await sh("blkid", "-p", "-s", "TYPE", "-o", "value", volume.loop)).trim(), fsType);
      await twice(() => invoke(handlers.nodePublishVolume, publishRequest(volume, staging, rw, capability)));
      await twice(() =>
        invoke(handlers.nodePublishVolume, publishRequest(volume, staging, ro, capability, true)),
      );
      assert.deepEqual((await lab.mountsUnder()).sort(), [staging, rw, ro].sort());
      assert.equal((await metrics.nodeVolumesStaged.get()).values[0]?.value, 1);
      assert.equal((await metrics.nodeVolumesPublished.get()).values[0]?.value, 2);

      const sum = await writeChecksummed(`${rw}/data.bin`);
      assert.equal(await checksumOf(`${ro}/data.bin`), sum);
      await assert.rejects(writeFile(`${ro}/other.bin`, "x"), { code: "EROFS" });

      await twice(() => invoke(handlers.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: ro }));
      await twice(() => invoke(handlers.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: rw }));
      await assert.rejects(stat(rw), { code: "ENOENT" });
      await twice(() =>
        invoke(handlers.nodeUnstageVolume, { volumeId: volume.volumeId, stagingTargetPath: staging }),
      );
      assert.deepEqual(await lab.mountsUnder(), []);
      await assert.rejects(stat(staging), { code: "ENOENT" });

      await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
      await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, rw, capability));
      assert.equal(await checksumOf(`${rw}/data.bin`), sum);
    });
  }

  test("raw block: stage, publish rw and ro, data round-trips, never formatted", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    const staging = lab.path("staging");
    const rw = lab.path("pods", "a", "dev");
    const ro = lab.path("pods", "b", "dev");
    const capability = blockCapability();

    await twice(() => invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability)));
    await twice(() => invoke(handlers.nodePublishVolume, publishRequest(volume, staging, rw, capability)));
    await twice(() =>
      invoke(handlers.nodePublishVolume, publishRequest(volume, staging, ro, capability, true)),
    );
    assert.ok((await stat(rw)).isBlockDevice());

    const data = Buffer.alloc(4096, 0xab);
    const writer = await open(rw, "r+");
    await writer.write(data, 0, data.length, 8192);
    await writer.sync();
    await writer.close();
    const readBack = Buffer.alloc(4096);
    const reader = await open(ro, "r");
    await reader.read(readBack, 0, 4096, 8192);
    await reader.close();
    assert.deepEqual(readBack, data);
    const roMount = (await readFile("/proc/self/mountinfo", "utf8"))
      .split("\n")
      .find((line) => line.includes(` ${ro} `));
    assert.match(roMount ?? "", / ro[, ]/);

    await assert.rejects(sh("blkid", "-p", volume.loop), { code: 2 });
    await twice(() => invoke(handlers.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: ro }));
    await twice(() => invoke(handlers.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: rw }));
    await assert.rejects(stat(rw), { code: "ENOENT" });
    await twice(() =>
      invoke(handlers.nodeUnstageVolume, { volumeId: volume.volumeId, stagingTargetPath: staging }),
    );
    assert.deepEqual(await lab.mountsUnder(), []);

    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, rw, capability));
    const again = Buffer.alloc(4096);
    const check = await open(rw, "r");
    await check.read(again, 0, 4096, 8192);
    await check.close();
    assert.deepEqual(again, data);
  });

  test("publishing read-write where the volume is already published read-only is AlreadyExists", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    const staging = lab.path("staging");
    const target = lab.path("pods", "a", "mount");
    const capability = mountCapability("ext4");
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, capability, true));
    await assert.rejects(
      invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, capability)),
      {
        code: status.ALREADY_EXISTS,
      },
    );
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("xfs"))),
      { code: status.ALREADY_EXISTS },
    );
    assert.equal((await readFile("/proc/self/mountinfo", "utf8")).split(` ${target} `).length, 2);
  });

  test("staging read-write where the volume is already staged read-only is AlreadyExists", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    const staging = lab.path("staging");
    const readerOnly = mountCapability("ext4", [], VolumeCapability_AccessMode_Mode.SINGLE_NODE_READER_ONLY);
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, readerOnly));
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, readerOnly));
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("ext4"))),
      {
        code: status.ALREADY_EXISTS,
        details: `volume ${volume.volumeId} is staged at ${staging} read-only, not read-write as requested`,
      },
    );
    assert.deepEqual(await lab.mountsUnder(), [staging]);
  });

  test("an xfs clone mounts beside its source (same filesystem UUID)", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const source = await lab.addVolume(320);
    const capability = mountCapability("xfs");
    await invoke(handlers.nodeStageVolume, stageRequest(source, lab.path("source"), capability));
    const sum = await writeChecksummed(`${lab.path("source")}/data.bin`);
    await invoke(handlers.nodeUnstageVolume, {
      volumeId: source.volumeId,
      stagingTargetPath: lab.path("source"),
    });
    const clone = await lab.cloneVolume(source);
    await invoke(handlers.nodeStageVolume, stageRequest(source, lab.path("source"), capability));
    await invoke(handlers.nodeStageVolume, stageRequest(clone, lab.path("clone"), capability));
    assert.equal(await checksumOf(`${lab.path("clone")}/data.bin`), sum);
    assert.deepEqual((await lab.mountsUnder()).sort(), [lab.path("clone"), lab.path("source")]);
  });

  test("publish before stage is FailedPrecondition", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    const capability = mountCapability("ext4");
    await assert.rejects(
      invoke(
        handlers.nodePublishVolume,
        publishRequest(volume, lab.path("staging"), lab.path("t"), capability),
      ),
      { code: status.FAILED_PRECONDITION },
    );
  });
});
