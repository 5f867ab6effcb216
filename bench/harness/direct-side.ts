import type { PollPolicy } from "../../src/cloud/index.js";
import type { BenchCloud } from "./bench-cloud.js";
import { createDirectAdapter } from "./direct-adapter.js";
import { createDirectClient } from "./direct-client.js";
import type { BenchFace } from "./faces.js";
import { adapterCalls, type Calls, directCalls } from "./provisioning-calls.js";
import { auditVolumes, type ProvisioningAudit } from "./workload.js";

/** The calls of the side without the driver, and how to release its connections. */
export interface DirectSide {
  calls: Calls;
  close(): Promise<void>;
}

export interface DirectSideOptions {
  qps: number;
  burst: number;
  /** Another URL in front of the cloud's API (the hint-stripping proxy). */
  url?: string;
  /** The bare ballast client's polling policy; the faces' adapters keep their provider's. */
  poll?: Partial<PollPolicy>;
}

/**
 * The direct side on `face`: the bare generated client on the ballast API, the provider's adapter
 * on another provider's face.
 */
export async function openDirectSide(
  face: BenchFace,
  cloud: BenchCloud,
  options: DirectSideOptions,
): Promise<DirectSide> {
  const url = options.url ?? cloud.apiUrl;
  if (face.provider === "ballast") {
    const client = createDirectClient({
      url,
      token: cloud.token,
      qps: options.qps,
      burst: options.burst,
      ...(options.poll === undefined ? {} : { poll: options.poll }),
    });
    return { calls: directCalls(client), close: () => client.close() };
  }
  const storage = await createDirectAdapter({
    face,
    url,
    token: cloud.token,
    qps: options.qps,
    burst: options.burst,
  });
  return { calls: adapterCalls(storage, face), close: async () => storage.close?.() };
}

/** Reads every volume back and counts them by CO name (see ProvisioningAudit), unthrottled. */
export async function auditCloud(
  face: BenchFace,
  cloud: BenchCloud,
  prefix: string,
  expected: number,
): Promise<ProvisioningAudit> {
  const unthrottled = { qps: 1000, burst: 1000 };
  if (face.provider === "ballast") {
    const client = createDirectClient({ url: cloud.apiUrl, token: cloud.token, ...unthrottled });
    try {
      return await auditVolumes((page, options) => client.listVolumes(page, options), prefix, expected);
    } finally {
      await client.close();
    }
  }
  const storage = await createDirectAdapter({ face, url: cloud.apiUrl, token: cloud.token, ...unthrottled });
  try {
    return await auditVolumes((page, options) => storage.listVolumes(page, options), prefix, expected);
  } finally {
    await storage.close?.();
  }
}
