import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createExec, type Exec, ExecError } from "../../src/node/exec.js";
import { createLogger } from "../../src/observability/logger.js";
import { requireRoot } from "../helpers/root.js";
import { checksumOf, DeviceLab, invoke, labDriver, sh, spyingExec, writeChecksummed } from "./device-lab.js";
import { mountCapability, stageRequest } from "./requests.js";

const realExec = createExec(createLogger("silent"));

/**
 * mkfs killed partway, as by a plugin restart, an OOM kill or the mkfs timeout's SIGKILL: it runs
 * to the end and then `damage` undoes the part a killed mkfs would not have written yet.
 */
function killedMkfs(damage: (device: string) => Promise<void>): Exec {
  return {
    async run(command, args, options) {
      if (!command.startsWith("mkfs.")) return realExec.run(command, args, options);
      await realExec.run(command, args, options);
      const device = args.at(-1) ?? "";
      await damage(device);
      throw new ExecError(command, args, null, "SIGKILL", "", "", true);
    },
  };
}

/** ext4's primary superblock (at byte 1024) is written last; without it blkid sees no ext4. */
const withoutExt4Superblock = (device: string) =>
  sh("dd", "if=/dev/zero", `of=${device}`, "bs=1024", "seek=1", "count=1", "conv=notrunc,fsync").then(
    () => {},
  );

/** xfs's signature is there but the first allocation group's headers are not: it will not mount. */
const withoutXfsAgHeaders = (device: string) =>
  sh("dd", "if=/dev/zero", `of=${device}`, "bs=512", "seek=1", "count=7", "conv=notrunc,fsync").then(
    () => {},
  );

describe("an interrupted format is the driver's own and is redone", { concurrency: true }, () => {
  for (const [fsType, damage, sizeMiB] of [
    ["ext4", withoutExt4Superblock, 64],
    ["xfs", withoutXfsAgHeaders, 320],
  ] as const) {
    test(`${fsType}: a NodeStageVolume after mkfs was killed formats the device again and mounts it`, async (t) => {
      if (!requireRoot(t)) return;
      const lab = await DeviceLab.create();
      t.after(() => lab.cleanup());
      const volume = await lab.addVolume(sizeMiB);
      const staging = lab.path("staging");
      const crashing = await labDriver(lab, { exec: killedMkfs(damage) });
      await assert.rejects(
        invoke(crashing.handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability(fsType))),
        { code: status.INTERNAL },
      );
      assert.deepEqual(await readdir(join(lab.stateDir, "formats")), [`${volume.volumeId}.format.json`]);

      const spy = spyingExec(realExec);
      const restarted = await labDriver(lab, { exec: spy });
      await invoke(
        restarted.handlers.nodeStageVolume,
        stageRequest(volume, staging, mountCapability(fsType)),
      );
      assert.equal(spy.calls.filter((call) => call[0] === `mkfs.${fsType}`).length, 1);
      assert.deepEqual(await lab.mountsUnder(), [staging]);
      await writeChecksummed(join(staging, "data.bin"));
      assert.deepEqual(await readdir(join(lab.stateDir, "formats")), []);
    });
  }

  for (const [fsType, mkfs, sizeMiB] of [
    ["ext4", (uuid: string, device: string) => sh("mkfs.ext4", "-q", "-U", uuid, device), 64],
    ["xfs", (uuid: string, device: string) => sh("mkfs.xfs", "-q", "-m", `uuid=${uuid}`, device), 320],
  ] as const) {
    test(`${fsType}: a record of a format that finished does not license formatting its filesystem once it has been mounted`, async (t) => {
      if (!requireRoot(t)) return;
      const lab = await DeviceLab.create();
      t.after(() => lab.cleanup());
      const volume = await lab.addVolume(sizeMiB);
      const uuid = "5a5a5a5a-0000-4000-8000-00000000f1f1";
      await mkfs(uuid, volume.loop);
      const elsewhere = join(lab.root, "elsewhere");
      await mkdir(elsewhere);
      await sh("mount", volume.loop, elsewhere);
      const sum = await writeChecksummed(join(elsewhere, "data.bin"));
      await sh("umount", elsewhere);
      await mkdir(join(lab.stateDir, "formats"), { recursive: true });
      await writeFile(
        join(lab.stateDir, "formats", `${volume.volumeId}.format.json`),
        JSON.stringify({
          volumeId: volume.volumeId,
          device: volume.loop,
          fsType,
          uuid,
          startedAt: "2026-12-01T00:00:00.000Z",
        }),
      );
      const spy = spyingExec(realExec);
      const { handlers } = await labDriver(lab, { exec: spy });

      await invoke(
        handlers.nodeStageVolume,
        stageRequest(volume, lab.path("staging"), mountCapability(fsType)),
      );
      assert.deepEqual(
        spy.calls.filter((call) => call[0]?.startsWith("mkfs")),
        [],
      );
      assert.equal(await checksumOf(join(lab.path("staging"), "data.bin")), sum);
      assert.deepEqual(await readdir(join(lab.stateDir, "formats")), []);
    });
  }

  test("a record of an interrupted format does not license formatting a filesystem somebody made since", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const volume = await lab.addVolume(64);
    await sh("mkfs.ext4", "-q", "-F", volume.loop);
    const check = join(lab.root, "check");
    await mkdir(check);
    await sh("mount", volume.loop, check);
    const sum = await writeChecksummed(join(check, "data.bin"));
    await sh("umount", check);
    await mkdir(join(lab.stateDir, "formats"), { recursive: true });
    await writeFile(
      join(lab.stateDir, "formats", `${volume.volumeId}.format.json`),
      JSON.stringify({
        volumeId: volume.volumeId,
        device: volume.loop,
        fsType: "ext4",
        uuid: "00000000-0000-4000-8000-000000000000",
        startedAt: "2026-12-01T00:00:00.000Z",
      }),
    );
    const spy = spyingExec(realExec);
    const { handlers } = await labDriver(lab, { exec: spy });

    await invoke(
      handlers.nodeStageVolume,
      stageRequest(volume, lab.path("staging"), mountCapability("ext4")),
    );
    assert.deepEqual(
      spy.calls.filter((call) => call[0]?.startsWith("mkfs")),
      [],
    );
    assert.equal(await checksumOf(join(lab.path("staging"), "data.bin")), sum);
    assert.deepEqual(await readdir(join(lab.stateDir, "formats")), []);
  });
});
