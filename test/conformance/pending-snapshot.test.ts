import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import { type BallastProcess, startBallastProcess } from "../../src/demo/dev-process.js";
import { describeResidue, findHostResidue, isClean, removeHostResidue } from "../../src/demo/host-residue.js";
import { CloudApi } from "./cloud-api.js";
import { devSystemArgs, devSystemLayout } from "./dev-layout.js";
import { GiB, mountCapability, uniqueName } from "./fixtures.js";

/**
 * The cloud's operations take this long, so a snapshot is certainly still pending when the next
 * RPC arrives (the default 100 ms leaves that to chance), as csi-sanity's delete-at-once specs do.
 */
const CLOUD_LATENCY_MS = 2_000;

describe("Deleting right after CreateSnapshot, while the snapshot is pending", () => {
  let stateDir: string;
  let byIdDir: string;
  let process: BallastProcess;
  let csi: CsiClient;
  let cloud: CloudApi;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "ballast-pending-snapshot-"));
    const layout = devSystemLayout(stateDir);
    byIdDir = layout.byIdDir;
    await mkdir(join(stateDir, "kubelet"), { recursive: true });
    process = await startBallastProcess({
      args: [...devSystemArgs(layout), "--cloud-latency-ms", String(CLOUD_LATENCY_MS)],
      readyTimeoutMs: 60_000,
    });
    assert.ok(process.cloudUrl !== undefined && process.cloudToken !== undefined, process.output.join("\n"));
    csi = createCsiClient(process.endpoint ?? `unix://${layout.socketPath}`);
    cloud = new CloudApi(process.cloudUrl, process.cloudToken);
  });

  after(async () => {
    csi?.close();
    await process?.stop();
    const residue = await findHostResidue({ mountRoot: stateDir, backingFileRoot: stateDir, byIdDir });
    if (!isClean(residue)) await removeHostResidue(residue);
    await rm(stateDir, { recursive: true, force: true });
    assert.ok(isClean(residue), `ballast dev left behind: ${describeResidue(residue)}`);
  });

  async function newVolume(): Promise<string> {
    const { volume } = await csi.controller.createVolume({
      name: uniqueName("pendingsrc"),
      volumeCapabilities: [mountCapability()],
      capacityRange: { requiredBytes: GiB },
    });
    assert.ok(volume);
    return volume.volumeId;
  }

  async function pendingSnapshot(sourceVolumeId: string): Promise<string> {
    const { snapshot } = await csi.controller.createSnapshot({ name: uniqueName("pending"), sourceVolumeId });
    assert.ok(snapshot);
    assert.equal(snapshot.readyToUse, false);
    return snapshot.snapshotId;
  }

  test("DeleteSnapshot at once succeeds and ListSnapshots no longer shows the snapshot", async () => {
    const volumeId = await newVolume();
    const snapshotId = await pendingSnapshot(volumeId);

    await csi.controller.deleteSnapshot({ snapshotId });

    const listed = await csi.controller.listSnapshots({ snapshotId });
    assert.deepEqual(listed.entries, []);
    const bySource = await csi.controller.listSnapshots({ sourceVolumeId: volumeId });
    assert.deepEqual(
      bySource.entries.map((entry) => entry.snapshot?.snapshotId),
      [],
    );
    await csi.controller.deleteVolume({ volumeId });
  });

  test("DeleteVolume of the source at once succeeds and the snapshot stays", async () => {
    const volumeId = await newVolume();
    const snapshotId = await pendingSnapshot(volumeId);

    await csi.controller.deleteVolume({ volumeId });

    assert.deepEqual(
      (await cloud.volumes()).filter((volume) => volume.id === volumeId),
      [],
    );
    const kept = (await cloud.snapshots()).find((snapshot) => snapshot.id === snapshotId);
    assert.ok(kept !== undefined, `snapshot ${snapshotId} is gone with its volume`);
    await csi.controller.deleteSnapshot({ snapshotId });
  });
});
