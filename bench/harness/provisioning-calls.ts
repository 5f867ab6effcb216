import type { BlockStorageClient } from "../../src/cloud/index.js";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import {
  ControllerPublishVolumeRequest,
  ControllerService,
  CreateVolumeRequest,
  type CreateVolumeResponse,
  type DeepPartial,
} from "../../src/generated/csi.js";
import type { BenchDriver } from "./bench-driver.js";
import type { BenchFace } from "./faces.js";
import { RawGrpcChannel } from "./raw-grpc-client.js";
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

/** How the storm's driver side reaches the driver's socket. */
export type CsiClientKind = "grpc-js" | "raw";

const createRequest = (name: string): DeepPartial<CreateVolumeRequest> => ({
  name,
  capacityRange: { requiredBytes: BigInt(GiB) },
  volumeCapabilities: [MOUNT_EXT4],
});

// The external-attacher passes the PV's volume attributes, which CreateVolume answered.
const publishRequest = (
  volumeId: string,
  nodeId: string,
  volumeContext: Record<string, string>,
): DeepPartial<ControllerPublishVolumeRequest> => ({
  volumeId,
  nodeId,
  volumeCapability: MOUNT_EXT4,
  readonly: false,
  volumeContext,
});

/** CreateVolume then ControllerPublishVolume, as the provisioner and the attacher ask for them. */
function csiCalls(
  createVolume: (request: DeepPartial<CreateVolumeRequest>) => Promise<CreateVolumeResponse>,
  publishVolume: (request: DeepPartial<ControllerPublishVolumeRequest>) => Promise<unknown>,
): Calls {
  const contexts = new Map<string, Record<string, string>>();
  return {
    async create(name) {
      const response = await createVolume(createRequest(name));
      const volumeId = response.volume?.volumeId;
      if (volumeId === undefined) throw new Error(`CreateVolume ${name} answered no volume`);
      contexts.set(volumeId, response.volume?.volumeContext ?? {});
      return volumeId;
    },
    async attach(volumeId, nodeId) {
      await publishVolume(publishRequest(volumeId, nodeId, contexts.get(volumeId) ?? {}));
    },
  };
}

/**
 * The driver's calls through the grpc-js client (`"grpc-js"`), or through the light HTTP/2 one
 * (`"raw"`, harness/raw-grpc-client.ts), which spends a fraction of the CPU per call: on 2 shared
 * cores the client's CPU is taken from the driver and the cloud, where in a cluster the sidecars'
 * Go client runs elsewhere. The raw channel is closed with `close`.
 */
export function driverCalls(
  driver: BenchDriver,
  client: CsiClientKind = "grpc-js",
): Calls & { close(): void } {
  if (client === "grpc-js") {
    const { controller } = driver.csi;
    return {
      ...csiCalls(
        (request) => controller.createVolume(request, { timeoutMs: CALL_TIMEOUT_MS }),
        (request) => controller.controllerPublishVolume(request, { timeoutMs: CALL_TIMEOUT_MS }),
      ),
      close: () => undefined,
    };
  }
  const channel = new RawGrpcChannel(driver.endpoint.replace(/^unix:\/\//, ""));
  return {
    ...csiCalls(
      (request) =>
        channel.unary(
          ControllerService.createVolume,
          CreateVolumeRequest.fromPartial(request),
          CALL_TIMEOUT_MS,
        ),
      (request) =>
        channel.unary(
          ControllerService.controllerPublishVolume,
          ControllerPublishVolumeRequest.fromPartial(request),
          CALL_TIMEOUT_MS,
        ),
    ),
    close: () => channel.close(),
  };
}
