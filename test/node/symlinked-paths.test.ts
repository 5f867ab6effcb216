import assert from "node:assert/strict";
import { mkdir, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { requireRoot } from "../helpers/root.js";
import { checksumOf, DeviceLab, invoke, labDriver, writeChecksummed } from "./device-lab.js";
import { mountCapability, publishRequest, stageRequest } from "./requests.js";

/**
 * Some nodes keep kubelet's directory on another disk behind a symlink (/var/lib/kubelet →
 * /data/kubelet). kubelet then passes paths through the link while the mount table names the
 * real directory; the driver must still recognise its own mounts there.
 */
describe("paths reached through a symlink", () => {
  test("stage and publish through a symlinked kubelet directory are idempotent and clean up fully", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const { handlers } = await labDriver(lab);
    const volume = await lab.addVolume(64);
    await mkdir(lab.path(), { recursive: true });
    const linked = join(lab.root, "kubelet-link");
    await symlink(lab.path(), linked);
    const staging = join(linked, "staging");
    const target = join(linked, "target");
    const capability = mountCapability("ext4");

    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
    await invoke(handlers.nodeStageVolume, stageRequest(volume, staging, capability));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, capability));
    await invoke(handlers.nodePublishVolume, publishRequest(volume, staging, target, capability));
    assert.deepEqual((await lab.mountsUnder()).sort(), [lab.path("staging"), lab.path("target")].sort());
    const sum = await writeChecksummed(join(target, "data.bin"));
    assert.equal(await checksumOf(join(lab.path("staging"), "data.bin")), sum);

    await invoke(handlers.nodeUnpublishVolume, { volumeId: volume.volumeId, targetPath: target });
    await invoke(handlers.nodeUnstageVolume, { volumeId: volume.volumeId, stagingTargetPath: staging });
    assert.deepEqual(await lab.mountsUnder(), []);
    await assert.rejects(stat(lab.path("staging")), { code: "ENOENT" });
    await assert.rejects(stat(lab.path("target")), { code: "ENOENT" });
  });
});
