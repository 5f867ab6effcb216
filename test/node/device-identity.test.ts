import assert from "node:assert/strict";
import { symlink, unlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createExec } from "../../src/node/exec.js";
import { createLogger } from "../../src/observability/logger.js";
import { requireRoot } from "../helpers/root.js";
import { DeviceLab, invoke, labDriver, newVolumeId, sh, spyingExec } from "./device-lab.js";
import { FakeClock } from "./fakes/fake-clock.js";
import { mountCapability, stageRequest } from "./requests.js";

/**
 * The backoff of the lab driver's 1500 ms device wait: a link that does not prove to be the
 * volume's is waited for like a missing one, and the fake clock makes the wait cost nothing.
 */
const WHOLE_WAIT = [50, 100, 200, 400, 750];

describe("device discovery and identity", { concurrency: true }, () => {
  test("a by-id link pointing at another volume's device is refused after the whole wait and nothing is formatted", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const exec = spyingExec(createExec(createLogger("silent")));
    const clock = new FakeClock();
    const { handlers } = await labDriver(lab, { exec, clock });
    const mine = await lab.addVolume(64);
    const other = await lab.addVolume(64);
    await unlink(mine.link);
    await symlink(other.loop, mine.link);

    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(mine, lab.path("staging"), mountCapability("ext4"))),
      {
        code: status.FAILED_PRECONDITION,
        details: new RegExp(`refusing device for volume ${mine.volumeId}.*${other.volumeId}`),
      },
    );
    assert.deepEqual(clock.sleeps, WHOLE_WAIT);
    assert.deepEqual(
      exec.calls.filter((call) => call[0]?.startsWith("mkfs")),
      [],
    );
    await assert.rejects(sh("blkid", "-p", other.loop), { code: 2 });
  });

  test("a link to another volume's device is refused after the whole wait even when that volume's own link is gone", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const clock = new FakeClock();
    const { handlers } = await labDriver(lab, { clock });
    const mine = await lab.addVolume(64);
    const other = await lab.addVolume(64);
    // Only the loop device's backing file still says whose device this is.
    await unlink(other.link);
    await unlink(mine.link);
    await symlink(other.loop, mine.link);

    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(mine, lab.path("staging"), mountCapability("ext4"))),
      {
        code: status.FAILED_PRECONDITION,
        details: new RegExp(`backed by .*${other.volumeId}\\.img, which belongs to ${other.volumeId}`),
      },
    );
    assert.deepEqual(clock.sleeps, WHOLE_WAIT);
  });

  test("the cloud's hint resolving to a different device than the found link is refused", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const mine = await lab.addVolume(64);
    const other = await lab.addVolume(64);
    const hintDir = join(lab.root, "hint");
    await sh("mkdir", "-p", hintDir);
    await symlink(other.loop, join(hintDir, `virtio-${mine.volumeId}`));
    const request = stageRequest(mine, lab.path("staging"), mountCapability("ext4"));
    request.publishContext.byIdPath = join(hintDir, `virtio-${mine.volumeId}`);
    await unlink(mine.link);
    await symlink(mine.loop, join(lab.byIdDir, `virtio-${mine.volumeId}`));

    await assert.rejects(invoke(handlers.nodeStageVolume, request), {
      code: status.FAILED_PRECONDITION,
      details: new RegExp(`hint .* resolves to ${other.loop}, not ${mine.loop}`),
    });
  });

  test("a device that never appears is NotFound after the wait", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers, metrics } = await labDriver(lab, { deviceWaitMs: 300 });
    const volumeId = newVolumeId();
    const volume = { volumeId, image: "", loop: "", link: "" };
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), mountCapability("ext4"))),
      {
        code: status.NOT_FOUND,
        details: new RegExp(
          `device of volume ${volumeId} \\(serial ${volumeId}\\) did not appear within 300 ms`,
        ),
      },
    );
    const waits = await metrics.nodeDeviceWait.get();
    assert.equal(
      waits.values.find((v) => v.metricName?.endsWith("_count") && v.labels.result === "timeout")?.value,
      1,
    );
  });

  test("a second call for a volume while one is in flight is Aborted", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab, { deviceWaitMs: 5000 });
    const volume = await lab.addVolume(64);
    await unlink(volume.link);
    const staging = lab.path("staging");
    const first = invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("ext4")));
    await assert.rejects(
      invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("ext4"))),
      {
        code: status.ABORTED,
        details: `an operation for volume ${volume.volumeId} on this node is already in progress`,
      },
    );
    await symlink(volume.loop, volume.link);
    await first;
  });

  test("a device whose link appears during the wait is found", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab, { deviceWaitMs: 5000 });
    const volume = await lab.addVolume(64);
    await unlink(volume.link);
    const staging = lab.path("staging");
    let settled = false;
    const staged = invoke(handlers.nodeStageVolume, stageRequest(volume, staging, mountCapability("ext4")));
    staged.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(settled, false, "the stage ended before the link appeared instead of waiting for it");
    await symlink(volume.loop, volume.link);
    await staged;
    assert.deepEqual(await lab.mountsUnder(), [staging]);
  });
  for (const [state, fill] of [
    ["blank", async () => {}],
    ["holding ext4", (device: string) => sh("mkfs.ext4", "-q", "-F", device).then(() => {})],
  ] as const) {
    test(`a link repointed to a loop device (${state}) whose backing file names no volume is refused and left alone`, async (t) => {
      if (!requireRoot(t)) return;
      const lab = await DeviceLab.create();
      t.after(() => lab.cleanup());
      const exec = spyingExec(createExec(createLogger("silent")));
      const { handlers } = await labDriver(lab, { exec });
      const volume = await lab.addVolume(64);
      const image = join(lab.imagesDir, "scratch.img");
      await sh("truncate", "-s", "64M", image);
      const stranger = (await sh("losetup", "--find", "--show", image)).trim();
      lab.loops.add(stranger);
      await fill(stranger);
      const before = await sh("sha256sum", stranger);
      await unlink(volume.link);
      await symlink(stranger, volume.link);

      await assert.rejects(
        invoke(handlers.nodeStageVolume, stageRequest(volume, lab.path("staging"), mountCapability("ext4"))),
        {
          code: status.FAILED_PRECONDITION,
          details: `refusing device for volume ${volume.volumeId} (serial ${volume.volumeId}) at ${volume.link}: loop device ${stranger} is backed by ${image}, whose name does not carry the volume id`,
        },
      );
      assert.deepEqual(await lab.mountsUnder(), []);
      assert.deepEqual(
        exec.calls.filter((call) => call[0]?.startsWith("mkfs")),
        [],
      );
      assert.equal(await sh("sha256sum", stranger), before);
    });
  }
});
