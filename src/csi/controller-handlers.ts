import type { ServerUnaryCall } from "@grpc/grpc-js";
import type { ControllerService } from "../controller/controller-service.js";
import {
  type ControllerServer,
  type ControllerServiceCapability,
  ControllerServiceCapability_RPC_Type as Rpc,
} from "../generated/csi.js";
import { invalidArgument } from "../shared/errors.js";
import { checkMapSize, requireField } from "./request-fields.js";
import { callDeadline, unary } from "./unary.js";

/** Every capability here is backed by an implemented RPC; nothing is advertised speculatively. */
export const CONTROLLER_CAPABILITIES: readonly Rpc[] = [
  Rpc.CREATE_DELETE_VOLUME,
  Rpc.PUBLISH_UNPUBLISH_VOLUME,
  Rpc.LIST_VOLUMES,
  Rpc.GET_CAPACITY,
  Rpc.CREATE_DELETE_SNAPSHOT,
  Rpc.LIST_SNAPSHOTS,
  Rpc.CLONE_VOLUME,
  Rpc.PUBLISH_READONLY,
  Rpc.EXPAND_VOLUME,
  Rpc.LIST_VOLUMES_PUBLISHED_NODES,
  Rpc.VOLUME_CONDITION,
  Rpc.GET_VOLUME,
  Rpc.SINGLE_NODE_MULTI_WRITER,
  Rpc.MODIFY_VOLUME,
  Rpc.GET_SNAPSHOT,
];

function deadlineOf(call: ServerUnaryCall<unknown, unknown>) {
  return { deadline: callDeadline(call) };
}

/**
 * The Controller service's gRPC adapter: checks the shape of each request (required fields, CSI
 * size limits) and hands it to the ControllerService with the call's deadline.
 */
export function createControllerHandlers(service: ControllerService): ControllerServer {
  return {
    createVolume: unary(async (request, call) => {
      requireField("name", request.name);
      if (request.volumeCapabilities.length === 0) throw invalidArgument("volume_capabilities: is required");
      checkMapSize("parameters", request.parameters);
      checkMapSize("mutable_parameters", request.mutableParameters);
      return service.createVolume(request, deadlineOf(call));
    }),
    deleteVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      await service.deleteVolume(request, deadlineOf(call));
      return {};
    }),
    controllerPublishVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      requireField("node_id", request.nodeId);
      if (request.volumeCapability === undefined) throw invalidArgument("volume_capability: is required");
      return service.publishVolume(request, deadlineOf(call));
    }),
    controllerUnpublishVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      await service.unpublishVolume(request, deadlineOf(call));
      return {};
    }),
    validateVolumeCapabilities: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      if (request.volumeCapabilities.length === 0) throw invalidArgument("volume_capabilities: is required");
      return service.validateVolumeCapabilities(request, deadlineOf(call));
    }),
    listVolumes: unary((request, call) => service.listVolumes(request, deadlineOf(call))),
    getCapacity: unary((request, call) => service.getCapacity(request, deadlineOf(call))),
    controllerGetCapabilities: unary(async () => ({
      capabilities: CONTROLLER_CAPABILITIES.map(
        (type): ControllerServiceCapability => ({ type: { $case: "rpc", value: { type } } }),
      ),
    })),
    createSnapshot: unary(async (request, call) => {
      requireField("name", request.name);
      requireField("source_volume_id", request.sourceVolumeId);
      return service.createSnapshot(request, deadlineOf(call));
    }),
    deleteSnapshot: unary(async (request, call) => {
      requireField("snapshot_id", request.snapshotId);
      await service.deleteSnapshot(request.snapshotId, deadlineOf(call));
      return {};
    }),
    listSnapshots: unary((request, call) => service.listSnapshots(request, deadlineOf(call))),
    getSnapshot: unary(async (request, call) => {
      requireField("snapshot_id", request.snapshotId);
      return service.getSnapshot(request.snapshotId, deadlineOf(call));
    }),
    controllerExpandVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      return service.expandVolume(request, deadlineOf(call));
    }),
    controllerGetVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      return service.getVolume(request.volumeId, deadlineOf(call));
    }),
    controllerModifyVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      await service.modifyVolume(request, deadlineOf(call));
      return {};
    }),
  };
}
