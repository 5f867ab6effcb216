import type { BlockStorageClient } from "../../src/cloud/index.js";
import type { BenchDriver } from "./bench-driver.js";
import { CALL_TIMEOUT_MS, directCreateRequest, GiB, MOUNT_EXT4 } from "./workload.js";

/** Creating and attaching one volume, either through the driver or with the bare client. */
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
