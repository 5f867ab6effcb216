/** The block-storage API client: what the controller and the CLI import. */

export type { BackoffPolicy } from "./backoff.js";
export {
  BlockStorageClient,
  type BlockStorageClientOptions,
  createBlockStorageClient,
  DEFAULT_BURST,
  DEFAULT_QPS,
  type InstanceFilter,
  type MutationOptions,
  type PageOptions,
  type PendingOperation,
  type SnapshotFilter,
  type VolumeFilter,
} from "./block-storage-client.js";
export { type CallOptions, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./call-runner.js";
export { CloudApiError, CloudTransportError } from "./cloud-api-error.js";
export type * from "./cloud-types.js";
export type { Deadline } from "./deadline.js";
export { KIND_OF_PROBLEM_CODE, kindOfProblem, problemCodeOf, toBallastError } from "./error-mapping.js";
export { DEFAULT_POLL_POLICY } from "./operation-waiter.js";
export { FileTokenSource, staticTokenSource, type TokenSource } from "./token-source.js";
export { DEFAULT_TRANSPORT, type TransportOptions } from "./transport.js";
