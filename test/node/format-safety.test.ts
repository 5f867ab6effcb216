import assert from "node:assert/strict";
import { readFile, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createExec } from "../../src/node/exec.js";
import { createLogger } from "../../src/observability/logger.js";
import { requireRoot } from "../helpers/root.js";
import {
  checksumOf,
  DeviceLab,
  invoke,
  labDriver,
  newVolumeId,
  sh,
  spyingExec,
  writeChecksummed,
} from "./device-lab.js";
import { blockCapability, mountCapability, publishRequest, stageRequest } from "./requests.js";

const isMkfs = (call: string[]) => call[0]?.startsWith("mkfs") === true;

/** Formats a volume outside the driver, writes a checksummed file and unmounts again. */
async function preformat(lab: DeviceLab, device: string, fsType: string): Promise<string> {
  await sh(`mkfs.${fsType}`, "-q", ...(fsType === "ext4" ? ["-F"] : []), device);
  const mountPoint = join(lab.root, `pre-${fsType}`);
  await sh("mkdir", "-p", mountPoint);
  await sh("mount", device, mountPoint);
  try {
    return await writeChecksummed(join(mountPoint, "data.bin"));
  } finally {
    await sh("umount", mountPoint);
  }
}

async function labWithSpy() {
  const lab = await DeviceLab.create();
  const exec = spyingExec(createExec(createLogger("silent")));
  const driver = await labDriver(lab, { exec });
  return { lab, exec, handlers: driver.handlers };
}

describe("format safety", { concurrency: true }, () => {
  test("a blank device is formatted with the requested filesystem and mkfs options", async (t) => {
    if (!requireRoot(t)) return;
    const { lab, exec, handlers } = await labWithSpy();
    t.after(() => lab.cleanup());
    const volume = await lab.addVolume(64);
    await invoke(
      handlers.nodeStageVolume,
      stageRequest(volume, lab.path("staging"), mountCapability("ext4"), {
        blockSize: "1024",
        inodeSize: "256",
      }),
    );
    const [mkfs] = exec.calls.filter(isMkfs);
    const uuid = mkfs?.at(-2) ?? "";
    assert.deepEqual(mkfs, [
      "mkfs.ext4",
      "-F",
      "-q",
      "-E",
      "nodiscard",
      "-b",
      "1024",
      "-I",
      "256",
      "-U",
      uuid,
      volume.loop,
    ]);
    assert.match(await sh("dumpe2fs", "-h", volume.loop), /^Block size:\s+1024$/m);
    assert.equal((await sh("blkid", "-p", "-s", "UUID", "-o", "value", volume.loop)).trim(), uuid);
  });

  for (const fsType of ["ext4", "xfs"]) {
    test(`a device holding ${fsType} is mounted as it is and its data stays intact`, async (t) => {
      if (!requireRoot(t)) return;
      const { lab, exec, handlers } = await labWithSpy();
      t.after(() => lab.cleanup());
      const volume = await lab.addVolume(320);
      const sum = await preformat(lab, volume.loop, fsType);
      const staging = lab.path("staging");
      const target = lab.path("target");
      await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability(fsType)));
      await invoke(
        handlers.nodePublishVolume,
        publishRequest(volume, staging, target, mountCapability(fsType)),
      );
      assert.deepEqual(exec.calls.filter(isMkfs), []);
      assert.equal(await checksumOf(join(target, "data.bin")), sum);
    });
  }

  test("a device holding another filesystem than requested is refused, naming both, untouched", async (t) => {
    if (!requireRoot(t)) return;
    const { lab, exec, handlers } = await labWithSpy();
    t.after(() => lab.cleanup());
    const volume = await lab.addVolume(320);
    const sum = await preformat(lab, volume.loop, "xfs");
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), mountCapability("ext4"))),
      {
        code: status.FAILED_PRECONDITION,
        details: new RegExp(
          `device ${volume.loop} of volume ${volume.volumeId} already holds a xfs filesystem but ext4 was requested`,
        ),
      },
    );
    assert.deepEqual(exec.calls.filter(isMkfs), []);
    assert.deepEqual(await lab.mountsUnder(), []);
    const check = join(lab.root, "check");
    await sh("mkdir", "-p", check);
    await sh("mount", "-o", "ro", volume.loop, check);
    assert.equal(await checksumOf(join(check, "data.bin")), sum);
  });

  test("a device node that no driver serves proves no identity: refused, and mkfs never runs", async (t) => {
    if (!requireRoot(t)) return;
    const { lab, exec, handlers } = await labWithSpy();
    t.after(() => lab.cleanup());
    // A block node whose major number no driver owns: opening it fails (ENXIO), like a dead disk.
    const majors = new Set(
      (await readFile("/proc/devices", "utf8"))
        .split("Block devices:")[1]
        ?.split("\n")
        .map((line) => Number.parseInt(line, 10))
        .filter(Number.isFinite),
    );
    const major = [240, 241, 242, 243, 244, 245, 246, 247].find((candidate) => !majors.has(candidate));
    assert.ok(major !== undefined, "no unused local block major number");
    const volumeId = newVolumeId();
    const node = `/dev/ballast-test-dead-${volumeId}`;
    t.after(() => rm(node, { force: true }));
    await sh("mknod", node, "b", String(major), "0");
    await symlink(node, join(lab.byIdDir, `virtio-${volumeId}`));
    const volume = { volumeId, image: "", loop: node, link: join(lab.byIdDir, `virtio-${volumeId}`) };
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), mountCapability("ext4"))),
      {
        code: status.FAILED_PRECONDITION,
        details: new RegExp(`${node} gives no proof that it is this volume`),
      },
    );
    assert.deepEqual(exec.calls.filter(isMkfs), []);
  });

  test("raw block access never formats a blank device", async (t) => {
    if (!requireRoot(t)) return;
    const { lab, exec, handlers } = await labWithSpy();
    t.after(() => lab.cleanup());
    const volume = await lab.addVolume(64);
    const staging = lab.path("staging");
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, blockCapability()));
    await invoke(
      handlers.nodePublishVolume,
      publishRequest(volume, staging, lab.path("dev"), blockCapability()),
    );
    assert.deepEqual(exec.calls.filter(isMkfs), []);
    await assert.rejects(sh("blkid", "-p", volume.loop), { code: 2 });
  });
  for (const [where, sizeMiB, write] of [
    [
      "64 KiB of unrecognised data at 256 KiB",
      64,
      (_lab: DeviceLab, device: string) =>
        sh("dd", "if=/dev/urandom", `of=${device}`, "bs=4096", "count=16", "seek=64", "conv=notrunc,fsync"),
    ],
    [
      "an ext4 at 2 MiB behind a zero first MiB",
      64,
      async (lab: DeviceLab, device: string) => {
        const image = join(lab.root, "inner.img");
        await sh("truncate", "-s", "16M", image);
        await sh("mkfs.ext4", "-q", "-F", image);
        await sh("dd", `if=${image}`, `of=${device}`, "bs=1M", "seek=2", "conv=notrunc,fsync");
      },
    ],
    [
      "4 KiB of data at 700 MiB of a 1 GiB device",
      1024,
      (_lab: DeviceLab, device: string) =>
        sh(
          "dd",
          "if=/dev/urandom",
          `of=${device}`,
          "bs=4096",
          "count=1",
          `seek=${(700 * 1024) / 4}`,
          "conv=notrunc,fsync",
        ),
    ],
    [
      "4 KiB of data in the last MiB of a 1 GiB device",
      1024,
      (_lab: DeviceLab, device: string) =>
        sh(
          "dd",
          "if=/dev/urandom",
          `of=${device}`,
          "bs=4096",
          "count=1",
          `seek=${(1024 * 1024) / 4 - 3}`,
          "conv=notrunc,fsync",
        ),
    ],
  ] as const) {
    test(`a device with ${where} is refused and left byte for byte as it was`, async (t) => {
      if (!requireRoot(t)) return;
      const { lab, exec, handlers } = await labWithSpy();
      t.after(() => lab.cleanup());
      const volume = await lab.addVolume(sizeMiB);
      await write(lab, volume.loop);
      const before = await sh("sha256sum", volume.loop);
      await assert.rejects(
        invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), mountCapability("ext4"))),
        {
          code: status.FAILED_PRECONDITION,
          details: /data that blkid and wipefs do not recognise at byte \d+/,
        },
      );
      assert.deepEqual(exec.calls.filter(isMkfs), []);
      // Not formatted is not enough: no wipe or partial write may touch a byte of it either.
      assert.equal(await sh("sha256sum", volume.loop), before);
    });
  }

  test("a device with two filesystem signatures is FailedPrecondition naming both", async (t) => {
    if (!requireRoot(t)) return;
    const { lab, exec, handlers } = await labWithSpy();
    t.after(() => lab.cleanup());
    const volume = await lab.addVolume(320);
    await sh("mkfs.xfs", "-q", volume.loop);
    const ext4 = join(lab.root, "ext4.img");
    await sh("truncate", "-s", "64M", ext4);
    await sh("mkfs.ext4", "-q", "-F", ext4);
    await sh(
      "dd",
      `if=${ext4}`,
      `of=${volume.loop}`,
      "bs=1024",
      "skip=1",
      "seek=1",
      "count=1",
      "conv=notrunc,fsync",
    );
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), mountCapability("ext4"))),
      {
        code: status.FAILED_PRECONDITION,
        details: `device ${volume.loop} of volume ${volume.volumeId} holds more than one signature (xfs at offset 0x0, ext4 at offset 0x438), so which one is the volume's cannot be told; refusing to format or mount it as ext4`,
      },
    );
    assert.deepEqual(exec.calls.filter(isMkfs), []);
  });
});
