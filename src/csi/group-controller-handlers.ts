import type { ControllerService } from "../controller/controller-service.js";
import {
  createVolumeGroupSnapshot,
  deleteVolumeGroupSnapshot,
  getVolumeGroupSnapshot,
} from "../controller/group-snapshot-operations.js";
import { requireCapability } from "../controller/provider-support.js";
import {
  type GroupControllerServer,
  GroupControllerServiceCapability_RPC_Type as GroupRpc,
} from "../generated/csi.js";
import { checkMapSize, requireField } from "./request-fields.js";
import { unary } from "./unary.js";

/**
 * The GroupController service's gRPC adapter. It is registered only for a provider that can take
 * snapshots of several volumes at one point in time; each RPC checks the capability again, so a
 * wrongly wired server still answers Unimplemented instead of reaching a cloud that cannot do it.
 */
export function createGroupControllerHandlers(service: ControllerService): GroupControllerServer {
  const { context } = service;
  const { provider } = context;
  return {
    groupControllerGetCapabilities: unary(async () => ({
      capabilities: provider.capabilities.groupSnapshots
        ? [{ type: { $case: "rpc", value: { type: GroupRpc.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT } } }]
        : [],
    })),
    createVolumeGroupSnapshot: unary(async (request, _call, options) => {
      requireCapability(provider, "groupSnapshots", "CreateVolumeGroupSnapshot");
      requireField("name", request.name);
      checkMapSize("parameters", request.parameters);
      return createVolumeGroupSnapshot(context, request, options());
    }),
    deleteVolumeGroupSnapshot: unary(async (request, _call, options) => {
      requireCapability(provider, "groupSnapshots", "DeleteVolumeGroupSnapshot");
      requireField("group_snapshot_id", request.groupSnapshotId);
      await deleteVolumeGroupSnapshot(context, request.groupSnapshotId, request.snapshotIds, options());
      return {};
    }),
    getVolumeGroupSnapshot: unary(async (request, _call, options) => {
      requireCapability(provider, "groupSnapshots", "GetVolumeGroupSnapshot");
      requireField("group_snapshot_id", request.groupSnapshotId);
      return getVolumeGroupSnapshot(context, request.groupSnapshotId, request.snapshotIds, options());
    }),
  };
}
