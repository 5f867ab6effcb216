import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { isServiceError } from "../../src/demo/csi-client.js";
import { VolumeCapability } from "../../src/generated/csi.js";
import { ControllerCapability, requireController } from "./capabilities.js";
import { forEachFace } from "./faces.js";
import { Cleanup, expectCode, mountCapability, repeat, uniqueName, volumeSizes } from "./fixtures.js";
import { type DevSystem, useDevSystem } from "./harness.js";

async function newVolume(system: DevSystem, cleanup: Cleanup, parameters: Record<string, string> = {}) {
  const { volume } = await system.csi.controller.createVolume({
    name: uniqueName("manage"),
    volumeCapabilities: [mountCapability()],
    capacityRange: { requiredBytes: (await volumeSizes(system)).smallest },
    parameters,
  });
  assert.ok(volume);
  cleanup.volume(volume.volumeId);
  return volume;
}

forEachFace(
  "ControllerGetVolume, ValidateVolumeCapabilities, expansion, modification and locking",
  (face) => {
    const system = useDevSystem({ face });
    const { GET_VOLUME, VOLUME_CONDITION, EXPAND_VOLUME, MODIFY_VOLUME } = ControllerCapability;
    const unknownVolume = () => system().facts.unknownVolumeId;

    test("ControllerGetVolume of a volume that does not exist is NotFound", async (t) => {
      if (!(await requireController(t, system(), GET_VOLUME))) return;
      await expectCode(
        system().csi.controller.controllerGetVolume({ volumeId: unknownVolume() }),
        status.NOT_FOUND,
      );
    });

    test("ControllerGetVolume reports the volume, no published nodes and a normal condition", async (t) => {
      if (!(await requireController(t, system(), GET_VOLUME, VOLUME_CONDITION))) return;
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      const answer = await system().csi.controller.controllerGetVolume({ volumeId: volume.volumeId });
      assert.equal(answer.volume?.volumeId, volume.volumeId);
      assert.equal(answer.volume?.capacityBytes, volume.capacityBytes);
      assert.deepEqual(answer.status?.publishedNodeIds, []);
      assert.equal(answer.status?.volumeCondition?.abnormal, false);
    });

    test("ValidateVolumeCapabilities without capabilities is InvalidArgument", async (t) => {
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      await expectCode(
        system().csi.controller.validateVolumeCapabilities({ volumeId: volume.volumeId }),
        status.INVALID_ARGUMENT,
      );
    });

    test("ValidateVolumeCapabilities of a volume that does not exist is NotFound", async () => {
      await expectCode(
        system().csi.controller.validateVolumeCapabilities({
          volumeId: unknownVolume(),
          volumeCapabilities: [mountCapability()],
        }),
        status.NOT_FOUND,
      );
    });

    test("ValidateVolumeCapabilities confirms the capabilities the volume was made with", async (t) => {
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      const answer = await system().csi.controller.validateVolumeCapabilities({
        volumeId: volume.volumeId,
        volumeContext: volume.volumeContext,
        volumeCapabilities: [mountCapability()],
      });
      assert.deepEqual(answer.confirmed?.volumeCapabilities, [
        VolumeCapability.fromPartial(mountCapability()),
      ]);
    });

    test("ControllerExpandVolume without a capacity range is InvalidArgument", async (t) => {
      if (!(await requireController(t, system(), EXPAND_VOLUME))) return;
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      await expectCode(
        system().csi.controller.controllerExpandVolume({ volumeId: volume.volumeId }),
        status.INVALID_ARGUMENT,
      );
    });

    test("ControllerExpandVolume of a volume that does not exist is NotFound", async (t) => {
      if (!(await requireController(t, system(), EXPAND_VOLUME))) return;
      await expectCode(
        system().csi.controller.controllerExpandVolume({
          volumeId: unknownVolume(),
          capacityRange: { requiredBytes: (await volumeSizes(system())).of(1) },
        }),
        status.NOT_FOUND,
      );
    });

    test("ControllerExpandVolume beyond the tier's largest size is OutOfRange", async (t) => {
      if (!(await requireController(t, system(), EXPAND_VOLUME))) return;
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      const cloudVolume = await system().view.volume(volume.volumeId);
      const tier = (await system().view.volumeTypes()).find((type) => type.name === cloudVolume?.type);
      assert.ok(tier);
      await expectCode(
        system().csi.controller.controllerExpandVolume({
          volumeId: volume.volumeId,
          capacityRange: { requiredBytes: BigInt(tier.maxSizeBytes + tier.sizeGranularityBytes) },
        }),
        status.OUT_OF_RANGE,
      );
    });

    test("ControllerExpandVolume grows the volume, asks for node expansion, and is idempotent ten times", async (t) => {
      if (!(await requireController(t, system(), EXPAND_VOLUME))) return;
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      const grown = (await volumeSizes(system())).of(1);
      const answers = await repeat(10, () =>
        system().csi.controller.controllerExpandVolume({
          volumeId: volume.volumeId,
          capacityRange: { requiredBytes: grown },
          volumeCapability: mountCapability(),
        }),
      );
      for (const answer of answers) {
        assert.ok(answer.capacityBytes >= grown);
        assert.equal(answer.nodeExpansionRequired, true);
      }
      const cloudVolume = await system().view.volume(volume.volumeId);
      assert.ok(BigInt(cloudVolume?.sizeBytes ?? 0) >= grown);
    });

    test("ControllerModifyVolume with an unknown mutable parameter is InvalidArgument naming it", async (t) => {
      if (!(await requireController(t, system(), MODIFY_VOLUME))) return;
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      const details = await expectCode(
        system().csi.controller.controllerModifyVolume({
          volumeId: volume.volumeId,
          mutableParameters: { notMutable: "1" },
        }),
        status.INVALID_ARGUMENT,
      );
      assert.match(details, /notMutable/);
    });

    test("ControllerModifyVolume of a volume that does not exist is NotFound", async (t) => {
      if (!(await requireController(t, system(), MODIFY_VOLUME))) return;
      const types = await system().view.volumeTypes();
      await expectCode(
        system().csi.controller.controllerModifyVolume({
          volumeId: unknownVolume(),
          mutableParameters: { type: types[0]?.name ?? "standard" },
        }),
        status.NOT_FOUND,
      );
    });

    test("ControllerModifyVolume without mutable parameters changes nothing and is OK", async (t) => {
      if (!(await requireController(t, system(), MODIFY_VOLUME))) return;
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      const before = await system().view.volume(volume.volumeId);
      await system().csi.controller.controllerModifyVolume({ volumeId: volume.volumeId });
      const after = await system().view.volume(volume.volumeId);
      assert.deepEqual(after, before);
    });

    test("ControllerModifyVolume without mutable parameters of a volume that does not exist is NotFound", async (t) => {
      if (!(await requireController(t, system(), MODIFY_VOLUME))) return;
      await expectCode(
        system().csi.controller.controllerModifyVolume({ volumeId: unknownVolume() }),
        status.NOT_FOUND,
      );
    });

    test("ControllerModifyVolume moves the volume to another tier", async (t) => {
      if (!(await requireController(t, system(), MODIFY_VOLUME))) return;
      const cleanup = Cleanup.for(t, system());
      const volume = await newVolume(system(), cleanup);
      const before = await system().view.volume(volume.volumeId);
      assert.ok(before);
      const other = (await system().view.volumeTypes()).find(
        (type) => type.name !== before.type && type.minSizeBytes <= before.sizeBytes,
      );
      assert.ok(other, "the reference cloud has a second tier that fits the volume");
      await system().csi.controller.controllerModifyVolume({
        volumeId: volume.volumeId,
        mutableParameters: { type: other.name },
      });
      assert.equal((await system().view.volume(volume.volumeId))?.type, other.name);
    });

    test("concurrent CreateVolume calls for one name run one at a time; the others are Aborted", async (t) => {
      const cleanup = Cleanup.for(t, system());
      // A slow cloud keeps the first call in flight while the others arrive (`*`: every face's
      // operations have their own names, and the first request of a CreateVolume is the one to slow).
      await system().cloud.setFaults({
        rules: [{ operation: "*", kind: "latency", latencyMs: 1500, count: 1 }],
      });
      t.after(() => system().cloud.setFaults({ rules: [] }));
      const name = uniqueName("concurrent");
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          system().csi.controller.createVolume({ name, volumeCapabilities: [mountCapability()] }),
        ),
      );
      const ids = new Set<string>();
      let abortedCount = 0;
      for (const outcome of outcomes) {
        if (outcome.status === "fulfilled") {
          const volumeId = outcome.value.volume?.volumeId;
          assert.ok(volumeId);
          ids.add(cleanup.volume(volumeId));
        } else {
          assert.ok(isServiceError(outcome.reason), String(outcome.reason));
          assert.equal(status[outcome.reason.code], "ABORTED", outcome.reason.details);
          abortedCount += 1;
        }
      }
      assert.equal(ids.size, 1, "exactly one volume answered");
      assert.equal(abortedCount, 4);
    });
  },
);
