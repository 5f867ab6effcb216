/**
 * The volume-context keys CreateVolume writes and the node (or ControllerPublishVolume) reads.
 * The mkfs options travel under their own names too (see mkfs-option-rules.ts).
 */
export const VOLUME_CONTEXT_KEYS = {
  /**
   * The tier at creation: a hint, not a fact (static PVs may lack it, ControllerModifyVolume can
   * change the tier afterwards).
   */
  volumeType: "volumeType",
  /**
   * The StorageClass's `csi.storage.k8s.io/fstype`, for a node whose capability names no fs_type;
   * a capability's fs_type wins.
   */
  fsType: "fsType",
} as const;
