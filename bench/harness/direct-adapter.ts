import { DEFAULT_DRIVER_NAME } from "../../src/cli/driver-options.js";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { loadProvider } from "../../src/providers/registry.js";
import type { BenchFace } from "./faces.js";

export interface DirectAdapterOptions {
  face: BenchFace;
  /** The face's API URL. */
  url: string;
  token: string;
  qps: number;
  burst: number;
}

/**
 * The direct side on another provider's face: the provider's own adapter (its generated client,
 * retries and action polling behind the controller's BlockStorage port), called in the harness
 * with the driver's rate limit. It is the best the driver could do against that API, as the bare
 * ballast client is on ballast's. Silent logger and a private metrics registry, as the direct
 * ballast client has.
 */
export async function createDirectAdapter(options: DirectAdapterOptions): Promise<BlockStorage> {
  const provider = await loadProvider(options.face.provider);
  return provider.blockStorage({
    baseUrl: options.url,
    token: { value: options.token },
    qps: options.qps,
    burst: options.burst,
    metrics: new Metrics(),
    logger: createLogger("silent"),
    userAgent: "ballast-bench",
    driverName: DEFAULT_DRIVER_NAME,
  });
}
