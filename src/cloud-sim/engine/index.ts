export { type AttachLimits, DEFAULT_ATTACH_LIMITS } from "./attachments.js";
export { CloudEngine, type CloudEngineDependencies } from "./cloud-engine.js";
export type { Accepted, IdempotencyContext, IdGenerator, ListVolumesQuery } from "./engine-types.js";
export { SnapshotCaptures, type SnapshotCapturing } from "./snapshot-captures.js";
export { snapshotGroupView } from "./snapshot-groups.js";
export { attachmentView, operationView, settleStatus, snapshotView, volumeView } from "./views.js";
export { NO_WRITES_TO_HOLD, type WriteHold } from "./write-hold.js";
