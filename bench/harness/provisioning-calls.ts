import type { BlockStorageClient } from "../../src/cloud/index.js";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import type { BenchDriver } from "./bench-driver.js";
import type { BenchFace } from "./faces.js";
import { CALL_TIMEOUT_MS, directCreateRequest, GiB, MOUNT_EXT4, volumeTags } from "./workload.js";

/** Creating and attaching one volume, either through the driver or with the bare client or adapter. */
export interface Calls {
  create(name: string): Promise<string>;
  attach(volumeId: string, instanceId: string): Promise<void>;
}

export function directCalls(client: BlockStorageClient): Calls {
  return {
    async create(name) {
      const volume = await client.createVolume(directCreateRequest(name), {
        deadline: Date.now() + CALL_TIMEOUT_MS,
        idempotencyKey: `bench-create-${name}`,
      });
      return volume.id;
    },
    async attach(volumeId, instanceId) {
      await client.attachVolume(
        volumeId,
        { instanceId, readOnly: false },
        { deadline: Date.now() + CALL_TIMEOUT_MS, idempotencyKey: `bench-attach-${volumeId}-${instanceId}` },
      );
    },
  };
}

/** The same on another provider's face, through its adapter: the volume the driver would ask for. */
export function adapterCalls(storage: BlockStorage, face: BenchFace): Calls {
  return {
    async create(name) {
      const volume = await storage.createVolume(
        {
          name,
          sizeBytes: GiB,
          zone: face.zone,
          type: face.volumeType,
          encrypted: false,
          tags: volumeTags(name),
        },
        { deadline: Date.now() + CALL_TIMEOUT_MS, idempotencyKey: `bench-create-${name}` },
      );
      return volume.id;
    },
    async attach(volumeId, instanceId) {
      await storage.attachVolume(
        volumeId,
        instanceId,
        { readOnly: false, exclusive: true },
        { deadline: Date.now() + CALL_TIMEOUT_MS, idempotencyKey: `bench-attach-${volumeId}-${instanceId}` },
      );
    },
  };
}

export function driverCalls(driver: BenchDriver): Calls {
  const { controller } = driver.csi;
  // The external-attacher passes the PV's volume attributes, which CreateVolume answered.
  const contexts = new Map<string, Record<string, string>>();
  return {
    async create(name) {
      const response = await controller.createVolume(
        { name, capacityRange: { requiredBytes: BigInt(GiB) }, volumeCapabilities: [MOUNT_EXT4] },
        { timeoutMs: CALL_TIMEOUT_MS },
      );
      const volumeId = response.volume?.volumeId;
      if (volumeId === undefined) throw new Error(`CreateVolume ${name} answered no volume`);
      contexts.set(volumeId, response.volume?.volumeContext ?? {});
      return volumeId;
    },
    async attach(volumeId, nodeId) {
      await controller.controllerPublishVolume(
        {
          volumeId,
          nodeId,
          volumeCapability: MOUNT_EXT4,
          readonly: false,
          volumeContext: contexts.get(volumeId) ?? {},
        },
        { timeoutMs: CALL_TIMEOUT_MS },
      );
    },
  };
}
