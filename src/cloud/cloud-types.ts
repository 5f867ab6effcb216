import type { components } from "../generated/block-storage.v1.js";

/** The contract's schemas under the names callers use; generated from openapi/block-storage.v1.yaml. */
type Schemas = components["schemas"];

export type Volume = Schemas["Volume"];
export type VolumeList = Schemas["VolumeList"];
export type VolumeStatus = Schemas["VolumeStatus"];
export type CreateVolumeRequest = Schemas["CreateVolumeRequest"];
export type ResizeVolumeRequest = Schemas["ResizeVolumeRequest"];
export type ModifyVolumeRequest = Schemas["ModifyVolumeRequest"];
export type AttachVolumeRequest = Schemas["AttachVolumeRequest"];
export type Attachment = Schemas["Attachment"];
export type Snapshot = Schemas["Snapshot"];
export type SnapshotList = Schemas["SnapshotList"];
export type SnapshotStatus = Schemas["SnapshotStatus"];
export type CreateSnapshotRequest = Schemas["CreateSnapshotRequest"];
export type SnapshotGroup = Schemas["SnapshotGroup"];
export type SnapshotGroupList = Schemas["SnapshotGroupList"];
export type CreateSnapshotGroupRequest = Schemas["CreateSnapshotGroupRequest"];
export type Instance = Schemas["Instance"];
export type InstanceList = Schemas["InstanceList"];
export type Zone = Schemas["Zone"];
export type VolumeType = Schemas["VolumeType"];
export type Capacity = Schemas["Capacity"];
export type Operation = Schemas["Operation"];
export type OperationKind = Schemas["OperationKind"];
export type Problem = Schemas["Problem"];
export type Tags = Schemas["Tags"];
