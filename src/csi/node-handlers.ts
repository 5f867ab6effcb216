import {
  type NodeServer,
  NodeServiceCapability_RPC_Type,
  type VolumeCapability,
  VolumeCapability_AccessMode_Mode,
  VolumeUsage_Unit,
} from "../generated/csi.js";
import { nodeFsType } from "../node/filesystem-type.js";
import { checkedMkfsOptions } from "../node/mkfs-options.js";
import type { VolumeAccess } from "../node/node-requests.js";
import type { NodeService } from "../node/node-service.js";
import { checkedPath, checkedVolumePath } from "../node/paths.js";
import {
  isMultiNode,
  MULTI_NODE_WRITER_MODES,
  READ_ONLY_MODES,
  SERVED_MODES,
} from "../shared/access-modes.js";
import { type BallastError, failedPrecondition, invalidArgument } from "../shared/errors.js";
import { checkedMountOptions } from "../shared/mount-option-rules.js";
import { unary } from "./unary.js";

const Mode = VolumeCapability_AccessMode_Mode;

const NODE_CAPABILITIES = [
  NodeServiceCapability_RPC_Type.STAGE_UNSTAGE_VOLUME,
  NodeServiceCapability_RPC_Type.GET_VOLUME_STATS,
  NodeServiceCapability_RPC_Type.EXPAND_VOLUME,
  NodeServiceCapability_RPC_Type.VOLUME_CONDITION,
  NodeServiceCapability_RPC_Type.SINGLE_NODE_MULTI_WRITER,
];

const MAX_VOLUME_ID_BYTES = 128;

function checkedVolumeId(value: string): string {
  if (value === "") throw invalidArgument("volume_id is required");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (Buffer.byteLength(value) > MAX_VOLUME_ID_BYTES || /[\u0000-\u001f\u007f/]/.test(value)) {
    throw invalidArgument(`volume_id: ${JSON.stringify(value)} is not a volume id`);
  }
  return value;
}

/** Where NodeGetVolumeStats and NodeExpandVolume find the volume; the staging path is optional. */
function checkedVolumeLocation(request: { volumeId: string; volumePath: string; stagingTargetPath: string }) {
  return {
    volumeId: checkedVolumeId(request.volumeId),
    volumePath: checkedVolumePath("volume_path", request.volumePath),
    stagingPath:
      request.stagingTargetPath === ""
        ? undefined
        : checkedPath("staging_target_path", request.stagingTargetPath),
  };
}

interface CheckedCapability {
  access: VolumeAccess;
  readOnlyMode: boolean;
  sharedReadOnly: boolean;
  singleWriter: boolean;
}

/**
 * The answer to a capability the plugin cannot serve differs by RPC in the spec's error tables:
 * FAILED_PRECONDITION for NodeStageVolume and NodePublishVolume, INVALID_ARGUMENT for
 * NodeExpandVolume.
 */
type ExceedsCapabilities = (message: string) => BallastError;

/**
 * `volumeContext` supplies the StorageClass's fsType when the capability names none; NodeExpandVolume
 * has no volume context, and the filesystem it grows is the one it finds mounted.
 */
function checkedCapability(
  field: string,
  capability: VolumeCapability | undefined,
  exceeds: ExceedsCapabilities,
  volumeContext: Readonly<Record<string, string>> = {},
): CheckedCapability {
  if (capability === undefined) throw invalidArgument(`${field} is required`);
  const mode = capability.accessMode?.mode;
  if (mode === undefined || mode === Mode.UNKNOWN || mode === Mode.UNRECOGNIZED) {
    throw invalidArgument(`${field}.access_mode is required`);
  }
  if (MULTI_NODE_WRITER_MODES.has(mode)) {
    throw exceeds(
      `${field}.access_mode ${Mode[mode]} is not supported: a block volume is written by one node at a time`,
    );
  }
  if (!SERVED_MODES.has(mode)) throw invalidArgument(`${field}.access_mode ${mode} is unknown`);
  const readOnlyMode = READ_ONLY_MODES.has(mode);
  const sharedReadOnly = isMultiNode(mode);
  const singleWriter = mode === Mode.SINGLE_NODE_SINGLE_WRITER;
  const modes = { readOnlyMode, sharedReadOnly, singleWriter };
  const accessType = capability.accessType;
  if (accessType === undefined) throw invalidArgument(`${field}.access_type (block or mount) is required`);
  if (accessType.$case === "block") return { access: { kind: "block" }, ...modes };
  const mount = accessType.value;
  if (mount.volumeMountGroup !== "") {
    throw invalidArgument(
      `${field}.mount.volume_mount_group is not supported (no VOLUME_MOUNT_GROUP capability)`,
    );
  }
  const fsType = nodeFsType(`${field}.mount.fs_type`, mount.fsType, volumeContext);
  const mountOptions = checkedMountOptions(`${field}.mount.mount_flags`, fsType, mount.mountFlags);
  return { access: { kind: "mount", fsType, mountOptions }, ...modes };
}

/**
 * The Node service's gRPC face: checks every field the spec requires before the domain runs
 * anything, then hands typed requests to `NodeService`. Errors reach the CO through `unary`.
 */
export function createNodeHandlers(service: NodeService): NodeServer {
  return {
    nodeStageVolume: unary(async (request) => {
      const volumeId = checkedVolumeId(request.volumeId);
      const stagingPath = checkedPath("staging_target_path", request.stagingTargetPath);
      const { access, readOnlyMode, sharedReadOnly } = checkedCapability(
        "volume_capability",
        request.volumeCapability,
        failedPrecondition,
        request.volumeContext,
      );
      const hint = service.deviceHint(volumeId, request.publishContext);
      const mkfsOptions =
        access.kind === "mount" ? checkedMkfsOptions(request.volumeContext, access.fsType) : {};
      await service.stageVolume({
        volumeId,
        stagingPath,
        hint,
        access,
        readOnly: readOnlyMode,
        sharedReadOnly,
        mkfsOptions,
      });
      return {};
    }),

    nodeUnstageVolume: unary(async (request) => {
      const volumeId = checkedVolumeId(request.volumeId);
      const stagingPath = checkedPath("staging_target_path", request.stagingTargetPath);
      await service.unstageVolume({ volumeId, stagingPath });
      return {};
    }),

    nodePublishVolume: unary(async (request) => {
      const volumeId = checkedVolumeId(request.volumeId);
      const targetPath = checkedPath("target_path", request.targetPath);
      const { access, readOnlyMode, singleWriter } = checkedCapability(
        "volume_capability",
        request.volumeCapability,
        failedPrecondition,
        request.volumeContext,
      );
      if (request.stagingTargetPath === "") {
        throw failedPrecondition(
          "staging_target_path is required: this plugin stages volumes (STAGE_UNSTAGE_VOLUME)",
        );
      }
      const stagingPath = checkedPath("staging_target_path", request.stagingTargetPath);
      if (stagingPath === targetPath)
        throw invalidArgument("target_path must differ from staging_target_path");
      const hint = service.deviceHint(volumeId, request.publishContext);
      await service.publishVolume({
        volumeId,
        stagingPath,
        targetPath,
        hint,
        access,
        readOnly: request.readonly || readOnlyMode,
        singleWriter,
      });
      return {};
    }),

    nodeUnpublishVolume: unary(async (request) => {
      const volumeId = checkedVolumeId(request.volumeId);
      const targetPath = checkedPath("target_path", request.targetPath);
      await service.unpublishVolume({ volumeId, targetPath });
      return {};
    }),

    nodeGetVolumeStats: unary(async (request) => {
      const { volumeId, volumePath, stagingPath } = checkedVolumeLocation(request);
      const stats = await service.volumeStats({ volumeId, volumePath, stagingPath });
      return {
        usage: stats.usage.map((figures) => ({
          unit: figures.unit === "bytes" ? VolumeUsage_Unit.BYTES : VolumeUsage_Unit.INODES,
          total: figures.total,
          available: figures.available ?? 0n,
          used: figures.used ?? 0n,
        })),
        volumeCondition: stats.condition,
      };
    }),

    nodeExpandVolume: unary(async (request) => {
      const { volumeId, volumePath, stagingPath } = checkedVolumeLocation(request);
      const requiredBytes = request.capacityRange?.requiredBytes ?? 0n;
      const limitBytes = request.capacityRange?.limitBytes ?? 0n;
      if (requiredBytes < 0n) {
        throw invalidArgument(`capacity_range.required_bytes: ${requiredBytes} is negative`);
      }
      if (limitBytes < 0n) throw invalidArgument(`capacity_range.limit_bytes: ${limitBytes} is negative`);
      if (limitBytes > 0n && limitBytes < requiredBytes) {
        throw invalidArgument(
          `capacity_range: limit_bytes ${limitBytes} is smaller than required_bytes ${requiredBytes}`,
        );
      }
      const access =
        request.volumeCapability === undefined
          ? undefined
          : checkedCapability("volume_capability", request.volumeCapability, invalidArgument).access;
      return service.expandVolume({ volumeId, volumePath, stagingPath, requiredBytes, access });
    }),

    nodeGetCapabilities: unary(async () => ({
      capabilities: NODE_CAPABILITIES.map((type) => ({ type: { $case: "rpc" as const, value: { type } } })),
    })),

    nodeGetInfo: unary(async () => {
      const identity = await service.nodeInfo();
      return {
        nodeId: identity.nodeId,
        maxVolumesPerNode: BigInt(identity.maxVolumesPerNode),
        accessibleTopology: { segments: identity.topology },
      };
    }),
  };
}
