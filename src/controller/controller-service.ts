import type {
  ControllerExpandVolumeRequest,
  ControllerExpandVolumeResponse,
  ControllerGetVolumeResponse,
  ControllerModifyVolumeRequest,
  ControllerPublishVolumeRequest,
  ControllerPublishVolumeResponse,
  ControllerUnpublishVolumeRequest,
  CreateSnapshotRequest,
  CreateSnapshotResponse,
  CreateVolumeRequest,
  CreateVolumeResponse,
  DeleteVolumeRequest,
  GetCapacityRequest,
  GetCapacityResponse,
  GetSnapshotResponse,
  ListSnapshotsRequest,
  ListSnapshotsResponse,
  ListVolumesRequest,
  ListVolumesResponse,
  ValidateVolumeCapabilitiesRequest,
  ValidateVolumeCapabilitiesResponse,
} from "../generated/csi.js";
import type { BlockStorage, CallOptions } from "./block-storage.js";
import { getCapacity } from "./capacity-operations.js";
import { CloudCatalog } from "./cloud-catalog.js";
import type { ControllerContext } from "./controller-context.js";
import { createVolume } from "./create-volume.js";
import { InFlightLocks } from "./inflight-locks.js";
import { publishVolume, unpublishVolume } from "./publish-operations.js";
import { createSnapshot, deleteSnapshot, getSnapshot, listSnapshots } from "./snapshot-operations.js";
import {
  deleteVolume,
  expandVolume,
  getVolume,
  listVolumes,
  modifyVolume,
  validateVolumeCapabilities,
} from "./volume-operations.js";

export interface ControllerServiceOptions {
  cloud: BlockStorage;
  driverName: string;
  defaultZone?: string | undefined;
  /** Default "balanced". */
  defaultVolumeType?: string | undefined;
  /** Called when a request is refused because another is in flight for the same thing. */
  onInFlightConflict?: ((method: string, key: string) => void) | undefined;
  /** How long tiers and zones are cached; default one minute. */
  catalogTtlMs?: number | undefined;
}

/**
 * The Controller domain: one method per Controller RPC, each taking the (already shape-checked)
 * CSI request and the call's deadline. The gRPC adapter in src/csi stays free of logic.
 */
export class ControllerService {
  private readonly context: ControllerContext;

  constructor(options: ControllerServiceOptions) {
    this.context = {
      cloud: options.cloud,
      catalog: new CloudCatalog(options.cloud, options.catalogTtlMs),
      locks: new InFlightLocks(options.onInFlightConflict),
      driverName: options.driverName,
      defaultZone: options.defaultZone,
      defaultVolumeType: options.defaultVolumeType ?? "balanced",
    };
  }

  createVolume(request: CreateVolumeRequest, options: CallOptions): Promise<CreateVolumeResponse> {
    return createVolume(this.context, request, options);
  }

  deleteVolume(request: DeleteVolumeRequest, options: CallOptions): Promise<void> {
    return deleteVolume(this.context, request, options);
  }

  publishVolume(
    request: ControllerPublishVolumeRequest,
    options: CallOptions,
  ): Promise<ControllerPublishVolumeResponse> {
    return publishVolume(this.context, request, options);
  }

  unpublishVolume(request: ControllerUnpublishVolumeRequest, options: CallOptions): Promise<void> {
    return unpublishVolume(this.context, request, options);
  }

  validateVolumeCapabilities(
    request: ValidateVolumeCapabilitiesRequest,
    options: CallOptions,
  ): Promise<ValidateVolumeCapabilitiesResponse> {
    return validateVolumeCapabilities(this.context, request, options);
  }

  listVolumes(request: ListVolumesRequest, options: CallOptions): Promise<ListVolumesResponse> {
    return listVolumes(this.context, request, options);
  }

  getVolume(volumeId: string, options: CallOptions): Promise<ControllerGetVolumeResponse> {
    return getVolume(this.context, volumeId, options);
  }

  getCapacity(request: GetCapacityRequest, options: CallOptions): Promise<GetCapacityResponse> {
    return getCapacity(this.context, request, options);
  }

  expandVolume(
    request: ControllerExpandVolumeRequest,
    options: CallOptions,
  ): Promise<ControllerExpandVolumeResponse> {
    return expandVolume(this.context, request, options);
  }

  modifyVolume(request: ControllerModifyVolumeRequest, options: CallOptions): Promise<void> {
    return modifyVolume(this.context, request, options);
  }

  createSnapshot(request: CreateSnapshotRequest, options: CallOptions): Promise<CreateSnapshotResponse> {
    return createSnapshot(this.context, request, options);
  }

  deleteSnapshot(snapshotId: string, options: CallOptions): Promise<void> {
    return deleteSnapshot(this.context, snapshotId, options);
  }

  getSnapshot(snapshotId: string, options: CallOptions): Promise<GetSnapshotResponse> {
    return getSnapshot(this.context, snapshotId, options);
  }

  listSnapshots(request: ListSnapshotsRequest, options: CallOptions): Promise<ListSnapshotsResponse> {
    return listSnapshots(this.context, request, options);
  }

  /** For Probe: the cloud answers a cheap (cached) call. */
  async probeCloud(options: CallOptions): Promise<void> {
    await this.context.catalog.zoneList(options);
  }
}
