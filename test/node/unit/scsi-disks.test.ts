import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ballastDeviceLocator } from "../../../src/providers/ballast/device-locator.js";
import { digitalOceanDeviceLocator } from "../../../src/providers/digitalocean/device-locator.js";
import { hetznerDeviceLocator } from "../../../src/providers/hetzner/device-locator.js";
import type { DeviceLocator } from "../../../src/providers/provider.js";
import type { FakeScsi } from "../fakes/fake-devices.js";
import { FakeDisk } from "../fakes/fake-disk.js";
import { FAKE_BY_ID_DIR, FakeHost } from "../fakes/fake-host.js";
import { FAKE_STATE_DIR, MiB, stagingPathOf } from "../fakes/fake-node.js";
import { vendorSpecificPage } from "../fakes/scsi-pages.js";
import { nodeWithLocator, stageWithContext as stage } from "./node-with-locator.js";

const DO_VOLUME = "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11";
const DO_LINK = "scsi-0DO_Volume_pvc-1";
const HC_VOLUME = "4711";
const HC_LINK = "scsi-0HC_Volume_4711";

/** A fresh node plugin over `host`; these scenarios judge what it stages, not the commands it runs. */
const nodeWith = async (host: FakeHost, deviceLocator: DeviceLocator) =>
  (await nodeWithLocator(host, deviceLocator)).service;

/** A host with one SCSI disk (/dev/sdb) linked under `link`. */
function hostWithDisk(scsi: FakeScsi, link: string): FakeHost {
  const host = new FakeHost();
  host.attach(new FakeDisk(8n * MiB), { scsi, links: [link] });
  return host;
}

const DO_CONTEXT = { byIdPath: join(FAKE_BY_ID_DIR, DO_LINK) };
const DO_REFUSAL = `refusing device for volume ${DO_VOLUME} at ${FAKE_BY_ID_DIR}/${DO_LINK}: /dev/sdb is a SCSI disk`;
const DO_WANTED = `volume ${DO_VOLUME} is vendor "DO", model "Volume", designator "pvc-1"`;
const recordFile = (volumeId: string) => join(FAKE_STATE_DIR, "stages", `${volumeId}.stage.json`);

test("a DigitalOcean disk reporting vendor DO, model Volume and the volume's name is staged", async () => {
  const host = hostWithDisk(
    { vendor: "DO", model: "Volume", vpdPage83: vendorSpecificPage("pvc-1") },
    DO_LINK,
  );
  await stage(await nodeWith(host, digitalOceanDeviceLocator), DO_VOLUME, DO_CONTEXT);
  assert.equal(host.mounts.top(stagingPathOf(DO_VOLUME))?.source, "/dev/sdb");
});

test("a DigitalOcean disk whose designator is another volume's name is refused, naming both", async () => {
  const host = hostWithDisk(
    { vendor: "DO", model: "Volume", vpdPage83: vendorSpecificPage("pvc-2") },
    DO_LINK,
  );
  await assert.rejects(stage(await nodeWith(host, digitalOceanDeviceLocator), DO_VOLUME, DO_CONTEXT), {
    kind: "FailedPrecondition",
    message: `${DO_REFUSAL} (vendor "DO", model "Volume") with vendor-specific designator "pvc-2"; ${DO_WANTED}`,
  });
  assert.equal(host.mounts.top(stagingPathOf(DO_VOLUME)), undefined);
});

test("a disk of another vendor with the volume's name is refused", async () => {
  const host = hostWithDisk(
    { vendor: "HC", model: "Volume", vpdPage83: vendorSpecificPage("pvc-1") },
    DO_LINK,
  );
  await assert.rejects(stage(await nodeWith(host, digitalOceanDeviceLocator), DO_VOLUME, DO_CONTEXT), {
    kind: "FailedPrecondition",
    message: `${DO_REFUSAL} (vendor "HC", model "Volume") with vendor-specific designator "pvc-1"; ${DO_WANTED}`,
  });
});

test("a disk of another model with the volume's name is refused", async () => {
  const host = hostWithDisk(
    { vendor: "DO", model: "Snapshot", vpdPage83: vendorSpecificPage("pvc-1") },
    DO_LINK,
  );
  await assert.rejects(stage(await nodeWith(host, digitalOceanDeviceLocator), DO_VOLUME, DO_CONTEXT), {
    kind: "FailedPrecondition",
    message: `${DO_REFUSAL} (vendor "DO", model "Snapshot") with vendor-specific designator "pvc-1"; ${DO_WANTED}`,
  });
});

test("a disk whose VPD page 0x83 is cut short is refused, saying what was read", async () => {
  const page = vendorSpecificPage("pvc-1").subarray(0, 10);
  const host = hostWithDisk({ vendor: "DO", model: "Volume", vpdPage83: page }, DO_LINK);
  await assert.rejects(stage(await nodeWith(host, digitalOceanDeviceLocator), DO_VOLUME, DO_CONTEXT), {
    kind: "FailedPrecondition",
    message: `${DO_REFUSAL} (vendor "DO", model "Volume") whose VPD page 0x83 is malformed (the page declares 9 bytes after its header but only 6 were read); ${DO_WANTED}`,
  });
});

test("a SCSI disk without VPD page 0x83 is refused", async () => {
  const host = hostWithDisk({ vendor: "DO", model: "Volume" }, DO_LINK);
  await assert.rejects(stage(await nodeWith(host, digitalOceanDeviceLocator), DO_VOLUME, DO_CONTEXT), {
    kind: "FailedPrecondition",
    message: `${DO_REFUSAL} (vendor "DO", model "Volume") with no VPD page 0x83 to identify it; ${DO_WANTED}`,
  });
});

test("expand, stats and unstage of a DigitalOcean disk find it through the record of its stage", async () => {
  const host = hostWithDisk(
    { vendor: "DO", model: "Volume", vpdPage83: vendorSpecificPage("pvc-1") },
    DO_LINK,
  );
  const service = await nodeWith(host, digitalOceanDeviceLocator);
  await stage(service, DO_VOLUME, DO_CONTEXT);
  const path = stagingPathOf(DO_VOLUME);
  const stats = await service.volumeStats({ volumeId: DO_VOLUME, volumePath: path });
  assert.deepEqual(stats.condition, {
    abnormal: false,
    message: `volume ${DO_VOLUME} is mounted and its device /dev/sdb is present`,
  });
  const expanded = await service.expandVolume({
    volumeId: DO_VOLUME,
    volumePath: path,
    requiredBytes: 8n * MiB,
  });
  assert.deepEqual(expanded, { capacityBytes: 8n * MiB });
  await service.unstageVolume({ volumeId: DO_VOLUME, stagingPath: path });
  assert.equal(host.mounts.top(path), undefined);
});

test("the record of a stage outlives a restart of the node plugin and goes at unstage", async () => {
  const host = hostWithDisk(
    { vendor: "DO", model: "Volume", vpdPage83: vendorSpecificPage("pvc-1") },
    DO_LINK,
  );
  await stage(await nodeWith(host, digitalOceanDeviceLocator), DO_VOLUME, DO_CONTEXT);
  assert.deepEqual(JSON.parse((await host.readText(recordFile(DO_VOLUME))) ?? "null"), {
    volumeId: DO_VOLUME,
    serial: "",
    byIdPath: DO_CONTEXT.byIdPath,
  });

  const restarted = await nodeWith(host, digitalOceanDeviceLocator);
  const path = stagingPathOf(DO_VOLUME);
  const expanded = await restarted.expandVolume({ volumeId: DO_VOLUME, volumePath: path, requiredBytes: 0n });
  assert.deepEqual(expanded, { capacityBytes: 8n * MiB });
  await restarted.unstageVolume({ volumeId: DO_VOLUME, stagingPath: path });
  assert.equal(host.mounts.top(path), undefined);
  assert.equal(await host.readText(recordFile(DO_VOLUME)), undefined);
});

test("after the stage, a disk at the recorded link that reports another name is refused by expand", async () => {
  const host = hostWithDisk(
    { vendor: "DO", model: "Volume", vpdPage83: vendorSpecificPage("pvc-1") },
    DO_LINK,
  );
  const service = await nodeWith(host, digitalOceanDeviceLocator);
  await stage(service, DO_VOLUME, DO_CONTEXT);
  const scsi = host.deviceAt("/dev/sdb")?.scsi;
  assert.ok(scsi !== undefined);
  scsi.vpdPage83 = vendorSpecificPage("pvc-2");
  await assert.rejects(
    service.expandVolume({ volumeId: DO_VOLUME, volumePath: stagingPathOf(DO_VOLUME), requiredBytes: 0n }),
    {
      kind: "NotFound",
      message: `volume ${DO_VOLUME} is not attached to this node: ${DO_REFUSAL} (vendor "DO", model "Volume") with vendor-specific designator "pvc-2"; ${DO_WANTED}`,
    },
  );
});

test("a Hetzner disk reporting vendor HC, model Volume and the volume id is staged without a publish context", async () => {
  const host = hostWithDisk(
    { vendor: "HC", model: "Volume", vpdPage83: vendorSpecificPage(HC_VOLUME) },
    HC_LINK,
  );
  await stage(await nodeWith(host, hetznerDeviceLocator), HC_VOLUME, {});
  assert.equal(host.mounts.top(stagingPathOf(HC_VOLUME))?.source, "/dev/sdb");
});

test("a Hetzner disk whose designator is another volume id is refused, naming both", async () => {
  const host = hostWithDisk(
    { vendor: "HC", model: "Volume", vpdPage83: vendorSpecificPage("4712") },
    HC_LINK,
  );
  await assert.rejects(stage(await nodeWith(host, hetznerDeviceLocator), HC_VOLUME, {}), {
    kind: "FailedPrecondition",
    message: `refusing device for volume 4711 at ${FAKE_BY_ID_DIR}/${HC_LINK}: /dev/sdb is a SCSI disk (vendor "HC", model "Volume") with vendor-specific designator "4712"; volume 4711 is vendor "HC", model "Volume", designator "4711"`,
  });
});

test("a Hetzner loop device backed by another volume's file is refused, naming that volume", async () => {
  const host = new FakeHost();
  host.attach(new FakeDisk(8n * MiB), { backingFile: "/var/lib/cloud/volumes/4712.img", links: [HC_LINK] });
  await assert.rejects(stage(await nodeWith(host, hetznerDeviceLocator), HC_VOLUME, {}), {
    kind: "FailedPrecondition",
    message: `refusing device for volume 4711 at ${FAKE_BY_ID_DIR}/${HC_LINK}: loop device /dev/loop0 is backed by /var/lib/cloud/volumes/4712.img, which belongs to 4712`,
  });
});

test("a SCSI disk under a provider whose volumes are no SCSI disks is refused", async () => {
  const volumeId = "vol-0123456789abcdef";
  const link = `virtio-${volumeId}`;
  const host = hostWithDisk(
    { vendor: "QEMU", model: "QEMU HARDDISK", vpdPage83: vendorSpecificPage(volumeId) },
    link,
  );
  await assert.rejects(
    stage(await nodeWith(host, ballastDeviceLocator), volumeId, {
      serial: volumeId,
      byIdPath: join(FAKE_BY_ID_DIR, link),
    }),
    {
      kind: "FailedPrecondition",
      message: `refusing device for volume ${volumeId} (serial ${volumeId}) at ${FAKE_BY_ID_DIR}/${link}: /dev/sdb is a SCSI disk (vendor "QEMU", model "QEMU HARDDISK") and this provider's volumes are no SCSI disks`,
    },
  );
});
