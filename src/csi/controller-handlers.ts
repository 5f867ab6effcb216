import type { ControllerService } from "../controller/controller-service.js";
import { createVolume } from "../controller/create-volume.js";
import { getCapacity } from "../controller/get-capacity.js";
import { requireCapability } from "../controller/provider-support.js";
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
import type { ProviderCapabilities } from "../providers/provider.js";
import { invalidArgument } from "../shared/errors.js";
import { operationOptions } from "./operation-options.js";
import { checkMapSize, requireField } from "./request-fields.js";
import { unary } from "./unary.js";

/** Served whatever the provider: the port requires every cloud to do these. */
const BASE_CAPABILITIES: readonly Rpc[] = [
  Rpc.CREATE_DELETE_VOLUME,
  Rpc.PUBLISH_UNPUBLISH_VOLUME,
  Rpc.LIST_VOLUMES,
  Rpc.PUBLISH_READONLY,
  Rpc.EXPAND_VOLUME,
  Rpc.LIST_VOLUMES_PUBLISHED_NODES,
  Rpc.VOLUME_CONDITION,
  Rpc.GET_VOLUME,
  Rpc.SINGLE_NODE_MULTI_WRITER,
];

/** The capabilities a provider's capability set adds, each backed by an implemented RPC. */
const CAPABILITY_RPCS: ReadonlyArray<[keyof ProviderCapabilities, readonly Rpc[]]> = [
  ["capacity", [Rpc.GET_CAPACITY]],
  ["snapshots", [Rpc.CREATE_DELETE_SNAPSHOT, Rpc.GET_SNAPSHOT]],
  ["listSnapshots", [Rpc.LIST_SNAPSHOTS]],
  ["clones", [Rpc.CLONE_VOLUME]],
  ["modify", [Rpc.MODIFY_VOLUME]],
];

/**
 * Exactly what the provider can do, nothing advertised speculatively: the CO (and csi-sanity)
 * then never calls an RPC the cloud cannot serve, and skips the specs of the rest.
 */
export function controllerCapabilities(capabilities: ProviderCapabilities): Rpc[] {
  const added = CAPABILITY_RPCS.filter(([capability]) => capabilities[capability]).flatMap(
    ([, rpcs]) => rpcs,
  );
  return [...BASE_CAPABILITIES, ...added].sort((a, b) => a - b);
}

/**
 * The Controller service's gRPC adapter: checks the shape of each request (required fields, CSI
 * size limits) and calls the RPC's operation with the controller's context, the call's deadline
 * and its cancellation.
 */
export function createControllerHandlers(service: ControllerService): ControllerServer {
  const { context } = service;
  const { provider } = context;
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
    getCapacity: unary(async (request, call) => {
      requireCapability(provider, "capacity", "GetCapacity");
      return getCapacity(context, request, operationOptions(call));
    }),
    controllerGetCapabilities: unary(async () => ({
      capabilities: controllerCapabilities(provider.capabilities).map(
        (type): ControllerServiceCapability => ({ type: { $case: "rpc", value: { type } } }),
      ),
    })),
    createSnapshot: unary(async (request, call) => {
      requireCapability(provider, "snapshots", "CreateSnapshot");
      requireField("name", request.name);
      requireField("source_volume_id", request.sourceVolumeId);
      return createSnapshot(context, request, operationOptions(call));
    }),
    deleteSnapshot: unary(async (request, call) => {
      requireCapability(provider, "snapshots", "DeleteSnapshot");
      requireField("snapshot_id", request.snapshotId);
      await deleteSnapshot(context, request.snapshotId, operationOptions(call));
      return {};
    }),
    listSnapshots: unary(async (request, call) => {
      requireCapability(provider, "listSnapshots", "ListSnapshots");
      return listSnapshots(context, request, operationOptions(call));
    }),
    getSnapshot: unary(async (request, call) => {
      requireCapability(provider, "snapshots", "GetSnapshot");
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
      requireCapability(provider, "modify", "ControllerModifyVolume");
      requireField("volume_id", request.volumeId);
      await modifyVolume(context, request, operationOptions(call));
      return {};
    }),
  };
}
