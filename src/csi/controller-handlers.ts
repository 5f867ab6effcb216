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
    createVolume: unary(async (request, _call, options) => {
      requireField("name", request.name);
      if (request.volumeCapabilities.length === 0) throw invalidArgument("volume_capabilities: is required");
      checkMapSize("parameters", request.parameters);
      checkMapSize("mutable_parameters", request.mutableParameters);
      return createVolume(context, request, options());
    }),
    deleteVolume: unary(async (request, _call, options) => {
      requireField("volume_id", request.volumeId);
      await deleteVolume(context, request, options());
      return {};
    }),
    controllerPublishVolume: unary(async (request, _call, options) => {
      requireField("volume_id", request.volumeId);
      requireField("node_id", request.nodeId);
      if (request.volumeCapability === undefined) throw invalidArgument("volume_capability: is required");
      return publishVolume(context, request, options());
    }),
    controllerUnpublishVolume: unary(async (request, _call, options) => {
      requireField("volume_id", request.volumeId);
      await unpublishVolume(context, request, options());
      return {};
    }),
    validateVolumeCapabilities: unary(async (request, _call, options) => {
      requireField("volume_id", request.volumeId);
      if (request.volumeCapabilities.length === 0) throw invalidArgument("volume_capabilities: is required");
      return validateVolumeCapabilities(context, request, options());
    }),
    listVolumes: unary((request, _call, options) => listVolumes(context, request, options())),
    getCapacity: unary(async (request, _call, options) => {
      requireCapability(provider, "capacity", "GetCapacity");
      return getCapacity(context, request, options());
    }),
    controllerGetCapabilities: unary(async () => ({
      capabilities: controllerCapabilities(provider.capabilities).map(
        (type): ControllerServiceCapability => ({ type: { $case: "rpc", value: { type } } }),
      ),
    })),
    createSnapshot: unary(async (request, _call, options) => {
      requireCapability(provider, "snapshots", "CreateSnapshot");
      requireField("name", request.name);
      requireField("source_volume_id", request.sourceVolumeId);
      return createSnapshot(context, request, options());
    }),
    deleteSnapshot: unary(async (request, _call, options) => {
      requireCapability(provider, "snapshots", "DeleteSnapshot");
      requireField("snapshot_id", request.snapshotId);
      await deleteSnapshot(context, request.snapshotId, options());
      return {};
    }),
    listSnapshots: unary(async (request, _call, options) => {
      requireCapability(provider, "listSnapshots", "ListSnapshots");
      return listSnapshots(context, request, options());
    }),
    getSnapshot: unary(async (request, _call, options) => {
      requireCapability(provider, "snapshots", "GetSnapshot");
      requireField("snapshot_id", request.snapshotId);
      return getSnapshot(context, request.snapshotId, options());
    }),
    controllerExpandVolume: unary(async (request, _call, options) => {
      requireField("volume_id", request.volumeId);
      return expandVolume(context, request, options());
    }),
    controllerGetVolume: unary(async (request, _call, options) => {
      requireField("volume_id", request.volumeId);
      return getVolume(context, request.volumeId, options());
    }),
    controllerModifyVolume: unary(async (request, _call, options) => {
      requireCapability(provider, "modify", "ControllerModifyVolume");
      requireField("volume_id", request.volumeId);
      await modifyVolume(context, request, options());
      return {};
    }),
  };
}
