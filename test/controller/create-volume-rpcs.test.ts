import assert from "node:assert/strict";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import { cloudNameOf } from "../../src/controller/cloud-names.js";
import { CreateVolumeRequest, VolumeCapability_AccessMode_Mode as Mode } from "../../src/generated/csi.js";
import {
  blockCapability,
  codeOf,
  GiB,
  type Harness,
  mountCapability,
  rpc,
  startHarness,
  takeApiCalls,
} from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";

describe("Controller CreateVolume against the reference cloud", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const create = (request: Partial<CreateVolumeRequest>, deadlineMs?: number) =>
    rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({ volumeCapabilities: [mountCapability()], ...request }),
      deadlineMs,
    );

  async function waitForSnapshotReady(snapshotId: string): Promise<void> {
    // Bounded, so a snapshot that never becomes ready fails here instead of at the 10-minute test timeout.
    for (let poll = 0; poll < 1000; poll += 1) {
      const { snapshot } = await rpc(h.controller, h.controller.getSnapshot, { snapshotId, secrets: {} });
      if (snapshot?.readyToUse) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail(`snapshot ${snapshotId} never became ready`);
  }

  test("CreateVolume rounds the size up to the tier granularity and reports the zone", async () => {
    const { volume } = await create({
      name: "pvc-round",
      capacityRange: { requiredBytes: GiB + 1n, limitBytes: 0n },
      parameters: { type: "standard" },
    });
    assert.equal(volume?.capacityBytes, 2n * GiB);
    assert.match(volume?.volumeId ?? "", /^vol-[0-9a-f]{16}$/);
    assert.deepEqual(volume?.accessibleTopology, [{ segments: { [ZONE_KEY]: "ref-1a" } }]);
  });

  test("CreateVolume twice with the same name and spec answers the same volume", async () => {
    const request = { name: "pvc-twice", capacityRange: { requiredBytes: 3n * GiB, limitBytes: 0n } };
    const first = await create(request);
    const second = await create(request);
    assert.equal(second.volume?.volumeId, first.volume?.volumeId);
    const all = await h.api.listVolumes({ name: "pvc-twice" }, { deadline: Date.now() + 5000 });
    assert.equal(all.items.length, 1);
  });

  test("CreateVolume of a new name makes one create and polls its operation, with no lookup by name", async () => {
    await create({ name: "pvc-cost-warm-up" });
    await takeApiCalls(h);
    await create({ name: "pvc-cost" });
    const { getOperation: _polls, ...calls } = await takeApiCalls(h);
    assert.deepEqual(calls, { createVolume: 1 });
  });

  test("CreateVolume retried after ControllerExpandVolume answers the volume at its current size", async () => {
    const request = { name: "pvc-grown", capacityRange: { requiredBytes: GiB, limitBytes: 0n } };
    const first = await create(request);
    await rpc(h.controller, h.controller.controllerExpandVolume, {
      volumeId: first.volume?.volumeId ?? "",
      capacityRange: { requiredBytes: 2n * GiB, limitBytes: 0n },
      secrets: {},
      volumeCapability: mountCapability(),
    });
    const again = await create(request);
    assert.equal(again.volume?.volumeId, first.volume?.volumeId);
    assert.equal(again.volume?.capacityBytes, 2n * GiB);
  });

  test("CreateVolume with the same name and a bigger size is AlreadyExists", async () => {
    await create({ name: "pvc-grow", capacityRange: { requiredBytes: GiB, limitBytes: 0n } });
    const code = await codeOf(
      create({ name: "pvc-grow", capacityRange: { requiredBytes: 5n * GiB, limitBytes: 0n } }),
    );
    assert.equal(code, status.ALREADY_EXISTS);
  });

  test("CreateVolume without a name is InvalidArgument", async () => {
    assert.equal(await codeOf(create({ name: "" })), status.INVALID_ARGUMENT);
  });

  test("CreateVolume with a name over 128 bytes is InvalidArgument", async () => {
    assert.equal(await codeOf(create({ name: "p".repeat(129) })), status.INVALID_ARGUMENT);
  });

  test("CreateVolume with a control character in the name is InvalidArgument", async () => {
    assert.equal(await codeOf(create({ name: "pvc-\u0007bell" })), status.INVALID_ARGUMENT);
  });

  test("CreateVolume with a Unicode name creates one cloud volume under its hashed name, twice answers it, and DeleteVolume removes it", async () => {
    const name = "Données de l'équipe ☃ 数据";
    const cloudName = cloudNameOf(name);
    const first = await create({ name });
    const second = await create({ name });
    assert.match(first.volume?.volumeId ?? "", /^vol-[0-9a-f]{16}$/);
    assert.equal(second.volume?.volumeId, first.volume?.volumeId);
    const all = await h.api.listVolumes({ name: cloudName }, { deadline: Date.now() + 5000 });
    assert.deepEqual(
      all.items.map((v) => [v.id, v.tags["ballast.dev/csi-name"]]),
      [[first.volume?.volumeId, name]],
    );
    await rpc(h.controller, h.controller.deleteVolume, {
      volumeId: first.volume?.volumeId ?? "",
      secrets: {},
    });
    assert.equal(await h.api.findVolumeByName(cloudName, { deadline: Date.now() + 5000 }), undefined);
  });

  test("CreateVolume whose cloud name is taken by a volume of another CO name is AlreadyExists", async () => {
    const name = "volume ✓";
    await create({ name: cloudNameOf(name) });
    assert.equal(await codeOf(create({ name })), status.ALREADY_EXISTS);
  });

  test("CreateVolume without capabilities is InvalidArgument", async () => {
    const request = CreateVolumeRequest.fromPartial({ name: "pvc-nocap" });
    assert.equal(
      await codeOf(rpc(h.controller, h.controller.createVolume, request)),
      status.INVALID_ARGUMENT,
    );
  });

  test("CreateVolume with an unknown parameter is InvalidArgument naming it", async () => {
    await assert.rejects(create({ name: "pvc-unknown", parameters: { iopss: "3000" } }), {
      code: status.INVALID_ARGUMENT,
      details: "parameters.iopss: unknown parameter",
    });
  });

  test("CreateVolume with a throughput out of range in parameters names parameters even when mutable_parameters sets iops", async () => {
    await assert.rejects(
      create({
        name: "pvc-throughput-source",
        parameters: { type: "balanced", throughput: "99999" },
        mutableParameters: { iops: "3000" },
      }),
      {
        code: status.INVALID_ARGUMENT,
        details: "parameters.throughput: 99999 is outside 125..1000 for tier balanced",
      },
    );
  });

  test("CreateVolume with MULTI_NODE_MULTI_WRITER is InvalidArgument naming the mode", async () => {
    await assert.rejects(
      create({ name: "pvc-mnmw", volumeCapabilities: [mountCapability(Mode.MULTI_NODE_MULTI_WRITER)] }),
      {
        code: status.INVALID_ARGUMENT,
        details: "volume_capabilities[0]: access mode MULTI_NODE_MULTI_WRITER is not supported",
      },
    );
  });

  test("CreateVolume with MULTI_NODE_READER_ONLY on a single-attach tier is InvalidArgument", async () => {
    const code = await codeOf(
      create({
        name: "pvc-mnro-std",
        parameters: { type: "standard" },
        volumeCapabilities: [blockCapability(Mode.MULTI_NODE_READER_ONLY)],
      }),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
  });

  test("CreateVolume with MULTI_NODE_READER_ONLY on the multi-attach tier succeeds", async () => {
    const { volume } = await create({
      name: "pvc-mnro-perf",
      parameters: { type: "performance" },
      volumeCapabilities: [blockCapability(Mode.MULTI_NODE_READER_ONLY)],
    });
    assert.equal(volume?.capacityBytes, 4n * GiB);
  });

  test("CreateVolume above the tier maximum is OutOfRange", async () => {
    const code = await codeOf(
      create({ name: "pvc-huge", capacityRange: { requiredBytes: 17n * 1024n * GiB, limitBytes: 0n } }),
    );
    assert.equal(code, status.OUT_OF_RANGE);
  });

  test("CreateVolume whose limit is below the rounded size is OutOfRange", async () => {
    const code = await codeOf(
      create({ name: "pvc-limit", capacityRange: { requiredBytes: GiB + 1n, limitBytes: GiB + 10n } }),
    );
    assert.equal(code, status.OUT_OF_RANGE);
  });

  test("CreateVolume takes the first preferred zone", async () => {
    const { volume } = await create({
      name: "pvc-preferred",
      accessibilityRequirements: {
        requisite: [{ segments: { [ZONE_KEY]: "ref-1b" } }, { segments: { [ZONE_KEY]: "ref-1c" } }],
        preferred: [{ segments: { "topology.kubernetes.io/zone": "ref-1c" } }],
      },
    });
    assert.deepEqual(volume?.accessibleTopology, [{ segments: { [ZONE_KEY]: "ref-1c" } }]);
  });

  test("CreateVolume with a requirement lacking a zone segment is InvalidArgument", async () => {
    const code = await codeOf(
      create({
        name: "pvc-nozone",
        accessibilityRequirements: {
          requisite: [{ segments: { "kubernetes.io/hostname": "n1" } }],
          preferred: [],
        },
      }),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
  });

  test("CreateVolume puts the validated mkfs options, the StorageClass's fsType and the tier in the volume context", async () => {
    const { volume } = await create({
      name: "pvc-mkfs",
      parameters: { blockSize: "4096", inodeSize: "256", "csi.storage.k8s.io/fstype": "ext4" },
    });
    assert.deepEqual(volume?.volumeContext, {
      blockSize: "4096",
      inodeSize: "256",
      fsType: "ext4",
      volumeType: "balanced",
    });
  });

  test("CreateVolume expands tag templates from the provisioner's metadata", async () => {
    const { volume } = await create({
      name: "pvc-tags",
      parameters: {
        tagSpecification_1: "team={{ .PVCNamespace }}",
        "csi.storage.k8s.io/pvc/namespace": "payments",
        "csi.storage.k8s.io/pvc/name": "db",
        "csi.storage.k8s.io/pv/name": "pvc-tags",
      },
    });
    const stored = await h.api.getVolume(volume?.volumeId ?? "", { deadline: Date.now() + 5000 });
    assert.equal(stored.tags.team, "payments");
    assert.equal(stored.tags["ballast.dev/managed-by"], "block.csi.ballast.dev");
    assert.equal(stored.tags["ballast.dev/csi-name"], "pvc-tags");
  });

  test("CreateVolume from a missing snapshot is NotFound", async () => {
    const code = await codeOf(
      create({
        name: "pvc-from-missing",
        volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: "snap-0000000000000000" } } },
      }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  test("CreateVolume cloning a volume stays in the source's zone", async () => {
    const source = await create({
      name: "pvc-clone-src",
      accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1b" } }], preferred: [] },
    });
    const clone = await create({
      name: "pvc-clone",
      volumeContentSource: { type: { $case: "volume", value: { volumeId: source.volume?.volumeId ?? "" } } },
    });
    assert.deepEqual(clone.volume?.accessibleTopology, [{ segments: { [ZONE_KEY]: "ref-1b" } }]);
    assert.deepEqual(clone.volume?.contentSource, {
      type: { $case: "volume", value: { volumeId: source.volume?.volumeId } },
    });
  });

  test("CreateVolume cloning an encrypted volume without parameters.encrypted answers the encrypted clone, twice", async () => {
    const source = await create({ name: "pvc-encrypted-src", parameters: { encrypted: "true" } });
    const request = {
      name: "pvc-encrypted-clone",
      volumeContentSource: {
        type: { $case: "volume" as const, value: { volumeId: source.volume?.volumeId ?? "" } },
      },
    };
    const clone = await create(request);
    const again = await create(request);
    assert.equal(again.volume?.volumeId, clone.volume?.volumeId);
    const cloud = await h.api.getVolume(clone.volume?.volumeId ?? "", { deadline: Date.now() + 5000 });
    assert.equal(cloud.encrypted, true);
  });

  test("CreateVolume restoring an encrypted volume's snapshot without parameters.encrypted answers the restored volume", async () => {
    const source = await create({ name: "pvc-encrypted-snap-src", parameters: { encrypted: "true" } });
    const { snapshot } = await rpc(h.controller, h.controller.createSnapshot, {
      name: "snap-encrypted",
      sourceVolumeId: source.volume?.volumeId ?? "",
      secrets: {},
      parameters: {},
    });
    const snapshotId = snapshot?.snapshotId ?? "";
    await waitForSnapshotReady(snapshotId);
    const restored = await create({
      name: "pvc-encrypted-restore",
      volumeContentSource: { type: { $case: "snapshot", value: { snapshotId } } },
    });
    const cloud = await h.api.getVolume(restored.volume?.volumeId ?? "", { deadline: Date.now() + 5000 });
    assert.equal(cloud.encrypted, true);
    assert.equal(cloud.sourceSnapshotId, snapshotId);
  });

  test("CreateVolume whose cloud create failed deletes the failed volume, so a retry creates it anew", async () => {
    const source = await create({ name: "pvc-broken-snap-src" });
    const { snapshot } = await rpc(h.controller, h.controller.createSnapshot, {
      name: "snap-broken",
      sourceVolumeId: source.volume?.volumeId ?? "",
      secrets: {},
      parameters: {},
    });
    const snapshotId = snapshot?.snapshotId ?? "";
    await waitForSnapshotReady(snapshotId);
    const snapshotFile = join(h.cloud.dataDir, "snapshots", `${snapshotId}.img`);
    await rename(snapshotFile, `${snapshotFile}.away`);
    const request = {
      name: "pvc-restore-fails-once",
      volumeContentSource: { type: { $case: "snapshot" as const, value: { snapshotId } } },
    };
    const failure = await create(request).then(
      () => assert.fail("the restore of a snapshot without its data succeeded"),
      (error: ServiceError) => error,
    );
    assert.equal(failure.code, status.INTERNAL);
    assert.match(failure.details, /the failed volume vol-[0-9a-f]{16} was deleted, a retry creates it anew$/);
    const left = await h.api.findVolumeByName("pvc-restore-fails-once", { deadline: Date.now() + 5000 });
    assert.equal(left, undefined);
    await rename(`${snapshotFile}.away`, snapshotFile);
    const retried = await create(request);
    const cloud = await h.api.getVolume(retried.volume?.volumeId ?? "", { deadline: Date.now() + 5000 });
    assert.equal(cloud.status, "available");
  });

  test("CreateVolume cloning an unencrypted volume with parameters.encrypted true makes an encrypted clone", async () => {
    const source = await create({ name: "pvc-plain-src" });
    const clone = await create({
      name: "pvc-plain-to-encrypted",
      parameters: { encrypted: "true" },
      volumeContentSource: { type: { $case: "volume", value: { volumeId: source.volume?.volumeId ?? "" } } },
    });
    const cloud = await h.api.getVolume(clone.volume?.volumeId ?? "", { deadline: Date.now() + 5000 });
    assert.equal(cloud.encrypted, true);
  });

  test("CreateVolume cloning into a requisite zone other than the source's is ResourceExhausted", async () => {
    const source = await create({ name: "pvc-clone-src2" });
    const code = await codeOf(
      create({
        name: "pvc-clone-elsewhere",
        volumeContentSource: {
          type: { $case: "volume", value: { volumeId: source.volume?.volumeId ?? "" } },
        },
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1c" } }], preferred: [] },
      }),
    );
    assert.equal(code, status.RESOURCE_EXHAUSTED);
  });

  test("CreateVolume with a requisite zone the cloud does not have is ResourceExhausted", async () => {
    const code = await codeOf(
      create({
        name: "pvc-unknown-zone",
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-9z" } }], preferred: [] },
      }),
    );
    assert.equal(code, status.RESOURCE_EXHAUSTED);
  });
});
