import type { PollPolicy } from "../../src/cloud/index.js";
import { type BlockStorageClient, createBlockStorageClient } from "../../src/cloud/index.js";
import { Metrics } from "../../src/observability/metrics.js";

export interface DirectClientOptions {
  url: string;
  token: string;
  qps: number;
  burst: number;
  poll?: Partial<PollPolicy>;
}

/**
 * The cloud's own bound: the generated, rate-limited client the driver is built on, called
 * directly, with the same limit the driver gets. No logger (the driver's per-RPC logging is part
 * of what the comparison measures) and a private metrics registry.
 */
export function createDirectClient(options: DirectClientOptions): BlockStorageClient {
  return createBlockStorageClient({
    baseUrl: options.url,
    token: options.token,
    qps: options.qps,
    burst: options.burst,
    metrics: new Metrics(),
    ...(options.poll === undefined ? {} : { poll: options.poll }),
    userAgent: "ballast-bench",
  });
}
