/** The block-storage API client: what the controller and the CLI import. */

export {
  BlockStorageClient,
  type BlockStorageClientOptions,
  createBlockStorageClient,
  DEFAULT_BURST,
  DEFAULT_QPS,
  type IdempotentRequestOptions,
  type PendingOperation,
} from "./block-storage-client.js";
export {
  CloudCancelledError,
  CloudDeadlineError,
  CloudError,
  CloudGaveUpError,
  CloudTransportError,
  type GiveUpReason,
  type TransportFailureReason,
} from "./call-errors.js";
export { DEFAULT_RETRY_POLICY, type RequestOptions, type RetryPolicy } from "./call-runner.js";
export { CloudApiError } from "./cloud-api-error.js";
export type * from "./cloud-types.js";
export type { Deadline } from "./deadline.js";
export type {
  InstanceFilter,
  PageOptions,
  SnapshotFilter,
  SnapshotGroupFilter,
  VolumeFilter,
} from "./list-filters.js";
export { DEFAULT_POLL_POLICY, type PollPolicy } from "./operation-waiter.js";
export { FileTokenSource, staticTokenSource, type TokenSource } from "./token-source.js";
export { DEFAULT_TRANSPORT, type TransportOptions } from "./transport.js";
