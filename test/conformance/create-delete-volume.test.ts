import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { ControllerCapability, requireController, requireService, ServiceType } from "./capabilities.js";
import { forEachFace } from "./faces.js";
import {
  Cleanup,
  expectCode,
  inZone,
  Mode,
  mountCapability,
  repeat,
  uniqueName,
  volumeSizes,
  ZONE_KEY,
} from "./fixtures.js";
import { useDevSystem } from "./harness.js";

forEachFace("CreateVolume and DeleteVolume over the dev socket", (face) => {
  const system = useDevSystem({ face });
  const create = (request: Parameters<ReturnType<typeof system>["csi"]["controller"]["createVolume"]>[0]) =>
    system().csi.controller.createVolume(request);

  test("CreateVolume without a name is InvalidArgument", async () => {
    await expectCode(create({ volumeCapabilities: [mountCapability()] }), status.INVALID_ARGUMENT);
  });

  test("CreateVolume without volume capabilities is InvalidArgument", async () => {
    await expectCode(create({ name: uniqueName("nocaps") }), status.INVALID_ARGUMENT);
  });

  test("CreateVolume with a capability that has no access mode is InvalidArgument", async () => {
    const capability = { accessType: { $case: "mount" as const, value: { fsType: "ext4" } } };
    await expectCode(
      create({ name: uniqueName("nomode"), volumeCapabilities: [capability] }),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateVolume with MULTI_NODE_MULTI_WRITER, which block volumes cannot honour, is InvalidArgument", async () => {
    await expectCode(
      create({
        name: uniqueName("mnmw"),
        volumeCapabilities: [mountCapability("ext4", Mode.MULTI_NODE_MULTI_WRITER)],
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateVolume with an unknown StorageClass parameter is InvalidArgument naming it", async () => {
    const details = await expectCode(
      create({
        name: uniqueName("param"),
        volumeCapabilities: [mountCapability()],
        parameters: { notAParameter: "1" },
      }),
      status.INVALID_ARGUMENT,
    );
    assert.match(details, /notAParameter/);
  });

  test("CreateVolume accepts a name of exactly 128 bytes", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const name = uniqueName("max").padEnd(128, "x");
    assert.equal(Buffer.byteLength(name), 128);
    const { volume } = await create({ name, volumeCapabilities: [mountCapability()] });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    assert.match(volume.volumeId, system().facts.volumeIdPattern);
  });

  test("CreateVolume accepts any Unicode name within 128 bytes, as the spec allows", async (t) => {
    const cleanup = Cleanup.for(t, system());
    // 4-byte characters make the byte limit, not the character count, the one that matters.
    const name = `${"𝔟".repeat(30)}${uniqueName("u").slice(0, 8)}`;
    assert.equal(Buffer.byteLength(name), 128);
    const { volume } = await create({ name, volumeCapabilities: [mountCapability()] });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    assert.match(volume.volumeId, system().facts.volumeIdPattern);
  });

  test("CreateVolume refuses a name of 129 bytes with InvalidArgument", async () => {
    await expectCode(
      create({ name: "n".repeat(129), volumeCapabilities: [mountCapability()] }),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateVolume with a negative required_bytes is InvalidArgument", async () => {
    await expectCode(
      create({
        name: uniqueName("negative"),
        volumeCapabilities: [mountCapability()],
        capacityRange: { requiredBytes: -1n },
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateVolume ten times with the same name and spec answers the same volume every time", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const name = uniqueName("same");
    const request = {
      name,
      volumeCapabilities: [mountCapability()],
      capacityRange: { requiredBytes: (await volumeSizes(system())).smallest },
    };
    const answers = await repeat(10, () => create(request));
    for (const answer of answers) if (answer.volume) cleanup.volume(answer.volume.volumeId);
    const ids = new Set(answers.map((answer) => answer.volume?.volumeId));
    assert.equal(ids.size, 1);
    const capacities = new Set(answers.map((answer) => answer.volume?.capacityBytes));
    assert.equal(capacities.size, 1);
    const inCloud = (await system().view.volumes()).filter((volume) => volume.coName === name);
    assert.equal(inCloud.length, 1);
  });

  test("CreateVolume with a known name but a different size is AlreadyExists", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const name = uniqueName("conflict");
    const sizes = await volumeSizes(system());
    const { volume } = await create({
      name,
      volumeCapabilities: [mountCapability()],
      capacityRange: { requiredBytes: sizes.of(0) },
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    await expectCode(
      create({
        name,
        volumeCapabilities: [mountCapability()],
        capacityRange: { requiredBytes: sizes.of(4) },
      }),
      status.ALREADY_EXISTS,
    );
  });

  test("CreateVolume honours the capacity range and reports at least the required bytes", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const sizes = await volumeSizes(system());
    const { volume } = await create({
      name: uniqueName("capacity"),
      volumeCapabilities: [mountCapability()],
      capacityRange: { requiredBytes: sizes.of(1), limitBytes: sizes.of(3) },
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    assert.ok(volume.capacityBytes >= sizes.of(1) && volume.capacityBytes <= sizes.of(3));
  });

  test("CreateVolume beyond the tier's largest size is OutOfRange", async () => {
    const { largest } = await volumeSizes(system());
    await expectCode(
      create({
        name: uniqueName("huge"),
        volumeCapabilities: [mountCapability()],
        capacityRange: { requiredBytes: largest * 2n },
      }),
      status.OUT_OF_RANGE,
    );
  });

  test("CreateVolume places the volume in the requisite zone and reports it as accessible topology", async (t) => {
    if (!(await requireService(t, system(), ServiceType.VOLUME_ACCESSIBILITY_CONSTRAINTS))) return;
    const cleanup = Cleanup.for(t, system());
    const info = await system().csi.node.nodeGetInfo();
    const zone = info.accessibleTopology?.segments[ZONE_KEY];
    assert.ok(zone, "NodeGetInfo reports the zone segment");
    const { volume } = await create({
      name: uniqueName("zone"),
      volumeCapabilities: [mountCapability()],
      accessibilityRequirements: inZone(zone),
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    assert.deepEqual(
      volume.accessibleTopology.map((topology) => topology.segments[ZONE_KEY]),
      [zone],
    );
  });

  test("CreateVolume with a requisite zone the cloud does not have is ResourceExhausted", async (t) => {
    if (!(await requireService(t, system(), ServiceType.VOLUME_ACCESSIBILITY_CONSTRAINTS))) return;
    await expectCode(
      create({
        name: uniqueName("nozone"),
        volumeCapabilities: [mountCapability()],
        accessibilityRequirements: inZone("ref-9z"),
      }),
      status.RESOURCE_EXHAUSTED,
    );
  });

  test("CreateVolume cloning into a requisite zone other than the source's is ResourceExhausted", async (t) => {
    if (!(await requireService(t, system(), ServiceType.VOLUME_ACCESSIBILITY_CONSTRAINTS))) return;
    if (!(await requireController(t, system(), ControllerCapability.CLONE_VOLUME))) return;
    const cleanup = Cleanup.for(t, system());
    const zones = [...new Set((await system().view.instances()).map((instance) => instance.zone))];
    const [first, otherZone] = zones;
    assert.ok(first && otherZone, `the reference cloud has instances in two zones (${zones.join(", ")})`);
    const { volume } = await create({
      name: uniqueName("zonesrc"),
      volumeCapabilities: [mountCapability()],
      accessibilityRequirements: inZone(first),
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    await expectCode(
      create({
        name: uniqueName("zoneclone"),
        volumeCapabilities: [mountCapability()],
        accessibilityRequirements: inZone(otherZone),
        volumeContentSource: { type: { $case: "volume", value: { volumeId: volume.volumeId } } },
      }),
      status.RESOURCE_EXHAUSTED,
    );
  });

  test("CreateVolume with topology requirements that have no zone segment is InvalidArgument", async (t) => {
    if (!(await requireService(t, system(), ServiceType.VOLUME_ACCESSIBILITY_CONSTRAINTS))) return;
    await expectCode(
      create({
        name: uniqueName("nosegment"),
        volumeCapabilities: [mountCapability()],
        accessibilityRequirements: { requisite: [{ segments: { "example.com/rack": "r1" } }] },
      }),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateVolume from a snapshot that does not exist is NotFound", async (t) => {
    if (!(await requireController(t, system(), ControllerCapability.CREATE_DELETE_SNAPSHOT))) return;
    await expectCode(
      create({
        name: uniqueName("nosnap"),
        volumeCapabilities: [mountCapability()],
        volumeContentSource: {
          type: { $case: "snapshot", value: { snapshotId: system().facts.unknownSnapshotId } },
        },
      }),
      status.NOT_FOUND,
    );
  });

  test("CreateVolume cloning a volume that does not exist is NotFound", async (t) => {
    if (!(await requireController(t, system(), ControllerCapability.CLONE_VOLUME))) return;
    await expectCode(
      create({
        name: uniqueName("noclone"),
        volumeCapabilities: [mountCapability()],
        volumeContentSource: {
          type: { $case: "volume", value: { volumeId: system().facts.unknownVolumeId } },
        },
      }),
      status.NOT_FOUND,
    );
  });

  test("DeleteVolume without a volume id is InvalidArgument", async () => {
    await expectCode(system().csi.controller.deleteVolume({}), status.INVALID_ARGUMENT);
  });

  test("DeleteVolume of a volume that never existed is OK", async () => {
    await system().csi.controller.deleteVolume({ volumeId: system().facts.unknownVolumeId });
  });

  test("DeleteVolume removes the volume from the cloud and stays OK when repeated ten times", async () => {
    const { volume } = await create({ name: uniqueName("delete"), volumeCapabilities: [mountCapability()] });
    assert.ok(volume);
    await repeat(10, () => system().csi.controller.deleteVolume({ volumeId: volume.volumeId }));
    assert.equal(await system().view.volume(volume.volumeId), undefined);
  });
});
