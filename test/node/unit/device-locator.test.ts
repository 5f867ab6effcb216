import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeService } from "../../../src/node/node-service.js";
import type { DeviceLocator } from "../../../src/providers/provider.js";
import { FakeDisk } from "../fakes/fake-disk.js";
import { FAKE_BY_ID_DIR, FakeHost } from "../fakes/fake-host.js";
import { MiB, stagingPathOf } from "../fakes/fake-node.js";
import { rejectsWithKind } from "./expect-kind.js";
import { nodeWithLocator, stageWithContext } from "./node-with-locator.js";

/** A provider whose links are `scsi-0TEST_Volume_<volume id>` and whose devices carry no serial. */
const PREFIX = "scsi-0TEST_Volume_";
const testLocator: DeviceLocator = {
  linkNames: (volumeId) => [`${PREFIX}${volumeId}`],
  volumeOfLinkName: (name) => (name.startsWith(PREFIX) ? name.slice(PREFIX.length) : undefined),
};

const MINE = "3f6a2c1e-8b7d-4e5f-9a0b-1c2d3e4f5a6b";
const OTHER = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4";

/** A fresh node plugin over `host`, with the test provider's links unless told otherwise. */
const nodeWith = (host: FakeHost, deviceLocator: DeviceLocator = testLocator) =>
  nodeWithLocator(host, deviceLocator);

const stage = (service: NodeService, publishContext: Record<string, string>) =>
  stageWithContext(service, MINE, publishContext);

test("staging finds the device under the provider's link name for the volume, with no hint path", async () => {
  const host = new FakeHost();
  host.attach(new FakeDisk(8n * MiB), {
    backingFile: `/var/lib/cloud/volumes/${MINE}.img`,
    links: [`${PREFIX}${MINE}`],
  });
  const { service, exec } = await nodeWith(host);
  await stage(service, {});
  assert.deepEqual(exec.commands(), ["blkid", "wipefs", "mkfs.ext4", "mount"]);
  assert.equal(host.mounts.top(stagingPathOf(MINE))?.source, "/dev/loop0");
});

test("a device also linked under the provider's name for another volume is refused, naming that volume", async () => {
  const host = new FakeHost();
  host.attach(new FakeDisk(8n * MiB), {
    backingFile: `/var/lib/cloud/volumes/${MINE}.img`,
    links: [`${PREFIX}${MINE}`, `${PREFIX}${OTHER}`],
  });
  const { service, exec } = await nodeWith(host);
  await rejectsWithKind(
    stage(service, {}),
    "FailedPrecondition",
    new RegExp(
      `is also linked as ${FAKE_BY_ID_DIR}/${PREFIX}${OTHER}, the link of another volume \\(${OTHER}\\)`,
    ),
  );
  assert.deepEqual(exec.commands(), []);
});

test("a loop device backed by another volume's file is refused under the provider's naming", async () => {
  const host = new FakeHost();
  host.attach(new FakeDisk(8n * MiB), {
    backingFile: `/var/lib/cloud/volumes/${OTHER}.img`,
    links: [`${PREFIX}${MINE}`],
  });
  const { service } = await nodeWith(host);
  await rejectsWithKind(stage(service, {}), "FailedPrecondition", /whose name does not carry the volume id/);
});

test("without a serial convention the publish context needs no serial, and the hint path is only checked for form", async () => {
  const { service } = await nodeWith(new FakeHost());
  assert.deepEqual(service.deviceHint(MINE, {}), { serial: "" });
  assert.deepEqual(service.deviceHint(MINE, { byIdPath: `/dev/disk/by-id/${PREFIX}${MINE}` }), {
    serial: "",
    byIdPath: `/dev/disk/by-id/${PREFIX}${MINE}`,
  });
  assert.throws(() => service.deviceHint(MINE, { byIdPath: "relative/link" }), {
    message: 'publish_context.byIdPath: "relative/link" is not an absolute by-id path',
  });
});

/** Links named after the volume's name, which only the publish context carries (as DigitalOcean's). */
const NAMED = "scsi-0NAMED_Volume_";
const namedLocator: DeviceLocator = {
  linkNames: (_volumeId, publishContext) => {
    const name = (publishContext.byIdPath ?? "").split("/").at(-1) ?? "";
    return name.startsWith(NAMED) ? [name] : [];
  },
  volumeOfLinkName: (name) => (name.startsWith(NAMED) ? name.slice(NAMED.length) : undefined),
};

test("without a publish context, a name-linked volume is found by the link whose device proves it is the volume's", async () => {
  const host = new FakeHost();
  host.attach(new FakeDisk(8n * MiB), {
    backingFile: `/var/lib/cloud/volumes/${OTHER}.img`,
    links: [`${NAMED}other-volume`],
  });
  host.attach(new FakeDisk(8n * MiB), {
    backingFile: `/var/lib/cloud/volumes/${MINE}.img`,
    links: [`${NAMED}my-volume`],
  });
  const { service } = await nodeWith(host, namedLocator);
  await stage(service, { byIdPath: `${FAKE_BY_ID_DIR}/${NAMED}my-volume` });
  const stats = await service.volumeStats({ volumeId: MINE, volumePath: stagingPathOf(MINE) });
  assert.equal(stats.condition.abnormal, false);
  const expanded = await service.expandVolume({
    volumeId: MINE,
    volumePath: stagingPathOf(MINE),
    stagingPath: stagingPathOf(MINE),
    requiredBytes: 8n * MiB,
  });
  assert.equal(expanded.capacityBytes, 8n * MiB);
});
