import type { ServerUnaryCall } from "@grpc/grpc-js";
import type { OperationOptions } from "../controller/block-storage.js";
import type { ControllerService } from "../controller/controller-service.js";
import { createVolume } from "../controller/create-volume.js";
import { getCapacity } from "../controller/get-capacity.js";
import { publishVolume, unpublishVolume } from "../controller/publish-operations.js";
import {
  createSnapshot,
  deleteSnapshot,
  getSnapshot,
  listSnapshots,
} from "../controller/snapshot-operations.js";
import {
  deleteVolume,
  expandVolume,
  getVolume,
  listVolumes,
  modifyVolume,
  validateVolumeCapabilities,
} from "../controller/volume-operations.js";
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

/**
 * The call's deadline, and a signal that fires when the CO cancels the call (its own timeout, a
 * deleted object), so the cloud work done for it stops instead of running to the deadline.
 */
function operationOptions(call: ServerUnaryCall<unknown, unknown>): OperationOptions {
  const cancelled = new AbortController();
  if (call.cancelled) cancelled.abort(new Error("the CO cancelled the call"));
  else call.once("cancelled", () => cancelled.abort(new Error("the CO cancelled the call")));
  return { deadline: callDeadline(call), signal: cancelled.signal };
}

/**
 * The Controller service's gRPC adapter: checks the shape of each request (required fields, CSI
 * size limits) and calls the RPC's operation with the controller's context, the call's deadline
 * and its cancellation.
 */
export function createControllerHandlers(service: ControllerService): ControllerServer {
  const { context } = service;
  return {
    createVolume: unary(async (request, call) => {
      requireField("name", request.name);
      if (request.volumeCapabilities.length === 0) throw invalidArgument("volume_capabilities: is required");
      checkMapSize("parameters", request.parameters);
      checkMapSize("mutable_parameters", request.mutableParameters);
      return createVolume(context, request, operationOptions(call));
    }),
    deleteVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      await deleteVolume(context, request, operationOptions(call));
      return {};
    }),
    controllerPublishVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      requireField("node_id", request.nodeId);
      if (request.volumeCapability === undefined) throw invalidArgument("volume_capability: is required");
      return publishVolume(context, request, operationOptions(call));
    }),
    controllerUnpublishVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      await unpublishVolume(context, request, operationOptions(call));
      return {};
    }),
    validateVolumeCapabilities: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      if (request.volumeCapabilities.length === 0) throw invalidArgument("volume_capabilities: is required");
      return validateVolumeCapabilities(context, request, operationOptions(call));
    }),
    listVolumes: unary((request, call) => listVolumes(context, request, operationOptions(call))),
    getCapacity: unary((request, call) => getCapacity(context, request, operationOptions(call))),
    controllerGetCapabilities: unary(async () => ({
      capabilities: CONTROLLER_CAPABILITIES.map(
        (type): ControllerServiceCapability => ({ type: { $case: "rpc", value: { type } } }),
      ),
    })),
    createSnapshot: unary(async (request, call) => {
      requireField("name", request.name);
      requireField("source_volume_id", request.sourceVolumeId);
      return createSnapshot(context, request, operationOptions(call));
    }),
    deleteSnapshot: unary(async (request, call) => {
      requireField("snapshot_id", request.snapshotId);
      await deleteSnapshot(context, request.snapshotId, operationOptions(call));
      return {};
    }),
    listSnapshots: unary((request, call) => listSnapshots(context, request, operationOptions(call))),
    getSnapshot: unary(async (request, call) => {
      requireField("snapshot_id", request.snapshotId);
      return getSnapshot(context, request.snapshotId, operationOptions(call));
    }),
    controllerExpandVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      return expandVolume(context, request, operationOptions(call));
    }),
    controllerGetVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      return getVolume(context, request.volumeId, operationOptions(call));
    }),
    controllerModifyVolume: unary(async (request, call) => {
      requireField("volume_id", request.volumeId);
      await modifyVolume(context, request, operationOptions(call));
      return {};
    }),
  };
}
