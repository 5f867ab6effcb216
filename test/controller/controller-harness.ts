import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { type BlockStorageClient, createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import {
  type ReferenceCloud,
  type ReferenceCloudConfig,
  startReferenceCloud,
} from "../../src/cloud-sim/index.js";
import { ControllerService } from "../../src/controller/controller-service.js";
import { createControllerHandlers } from "../../src/csi/controller-handlers.js";
import { createGroupControllerHandlers } from "../../src/csi/group-controller-handlers.js";
import { createIdentityHandlers } from "../../src/csi/identity-handlers.js";
import { type CsiServer, startCsiServer } from "../../src/csi/server.js";
import {
  ControllerClient,
  GroupControllerClient,
  type VolumeCapability,
  VolumeCapability_AccessMode_Mode,
} from "../../src/generated/csi.js";
import { instrumentService } from "../../src/observability/grpc-instrumentation.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { cloudBlockStorage } from "../../src/providers/ballast/block-storage-adapter.js";
import { ballastProvider } from "../../src/providers/ballast/index.js";
import type { ProviderProfile } from "../../src/providers/provider.js";

export const DRIVER = "block.csi.ballast.dev";
export const GiB = 1024n ** 3n;

export interface Harness {
  cloud: ReferenceCloud;
  api: BlockStorageClient;
  controller: ControllerClient;
  /** Dials the same socket; the service behind it exists only for a provider that takes group snapshots. */
  groupController: GroupControllerClient;
  metrics: Metrics;
  server: CsiServer;
  /** Instances that exist only in the API (no loop devices), by zone. */
  remoteInstances: Map<string, string>;
  close(): Promise<void>;
}

/**
 * A real stack for component tests: the reference cloud over HTTP on 127.0.0.1:0 (no local
 * attach, so no loop devices), the generated retrying client, the Controller service and a gRPC
 * server on a unix socket in a temp dir, and a generated gRPC client dialling it.
 */
export async function startHarness(
  options: {
    cloud?: Partial<ReferenceCloudConfig>;
    /** The client's retry backoff; fast by default so fault tests do not wait. */
    retry?: { initialDelayMs: number; maxDelayMs: number };
    /** The provider the controller believes it drives; ballast's profile by default. */
    provider?: ProviderProfile;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "ballast-controller-"));
  const logger = createLogger("silent");
  const metrics = new Metrics({ defaultMetrics: false });
  const violations: string[] = [];
  const cloud = await startReferenceCloud({
    dataDir: join(dir, "cloud"),
    byIdDir: join(dir, "by-id"),
    operationLatencyMs: 20,
    localAttach: false,
    onContractViolation: (v) => violations.push(`${v.operationId} ${v.status}: ${v.message}`),
    ...options.cloud,
  });
  const api = createBlockStorageClient({
    baseUrl: cloud.url,
    token: cloud.token,
    qps: 10_000,
    burst: 10_000,
    retry: options.retry ?? { initialDelayMs: 10, maxDelayMs: 200 },
    poll: { initialDelayMs: 10, maxDelayMs: 100 },
    metrics,
  });
  const provider = options.provider ?? ballastProvider;
  const service = new ControllerService({
    cloud: cloudBlockStorage(api),
    provider,
    driverName: DRIVER,
    onInFlightConflict: (method) => metrics.csiAborted.inc({ method }),
  });
  const server = await startCsiServer({
    endpoint: { kind: "unix", path: join(dir, "csi.sock") },
    logger,
    instrument: (name, impl) => instrumentService(name, impl, { metrics, logger }),
    identity: createIdentityHandlers({
      driverName: DRIVER,
      vendorVersion: "test",
      controller: true,
      groupController: provider.capabilities.groupSnapshots,
      ready: async () => true,
    }),
    controller: createControllerHandlers(service),
    groupController: provider.capabilities.groupSnapshots
      ? createGroupControllerHandlers(service)
      : undefined,
  });
  const controller = new ControllerClient(server.address, credentials.createInsecure());
  const groupController = new GroupControllerClient(server.address, credentials.createInsecure());
  const instances = await api.listInstances({}, { deadline: Date.now() + 5000 });
  const remoteInstances = new Map(
    instances.items.filter((i) => i.id !== cloud.localInstanceId).map((i) => [i.zone, i.id]),
  );
  return {
    cloud,
    api,
    controller,
    groupController,
    metrics,
    server,
    remoteInstances,
    async close() {
      controller.close();
      groupController.close();
      await server.stop();
      await api.close();
      await cloud.close({ detachLocalDevices: true });
      await rm(dir, { recursive: true, force: true });
      if (violations.length > 0)
        throw new Error(`reference cloud contract violations: ${violations.join("; ")}`);
    },
  };
}

/**
 * Calls the reference cloud received per contract operation since the last call (the request log
 * is reset after reading), for tests that pin what an RPC costs in API calls.
 */
export async function takeApiCalls(h: Harness): Promise<Record<string, number>> {
  const admin = async (method: "GET" | "DELETE"): Promise<Response> => {
    const response = await fetch(`${h.cloud.url}/admin/requests`, {
      method,
      headers: { authorization: `Bearer ${h.cloud.token}` },
    });
    if (!response.ok) throw new Error(`${method} /admin/requests answered ${response.status}`);
    return response;
  };
  const log = (await (await admin("GET")).json()) as { counters: { operationId: string; count: number }[] };
  await admin("DELETE");
  const counts: Record<string, number> = {};
  for (const counter of log.counters) {
    counts[counter.operationId] = (counts[counter.operationId] ?? 0) + counter.count;
  }
  return counts;
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Calls a unary RPC of a generated client as a promise, with a deadline (default 10 s). */
export function rpc<Req, Res>(
  client: Client,
  method: Unary<Req, Res>,
  request: Req,
  deadlineMs = 10_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

/**
 * How many requests for `operationId` the cloud has answered with `httpStatus` (0: connection
 * dropped), or with any status when it is left out.
 */
export async function cloudRequestCount(
  h: Harness,
  operationId: string,
  httpStatus?: number,
): Promise<number> {
  const response = await fetch(`${h.cloud.url}/admin/requests?operationId=${operationId}`, {
    headers: { authorization: `Bearer ${h.cloud.token}` },
  });
  const log = (await response.json()) as {
    counters: Array<{ operationId: string; status: number; count: number }>;
  };
  return log.counters
    .filter((c) => c.operationId === operationId && (httpStatus === undefined || c.status === httpStatus))
    .reduce((sum, c) => sum + c.count, 0);
}

/** Polls `condition` until it holds; bounded so a broken stack fails the test instead of hanging it. */
export async function until(what: string, condition: () => Promise<boolean>, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${what}: still not true after ${attempts} checks`);
}

/** The gRPC status code a rejected call ended with. */
export async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as ServiceError).code;
  }
  return 0;
}

export function mountCapability(
  mode = VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER,
  fsType = "ext4",
): VolumeCapability {
  return {
    accessType: { $case: "mount", value: { fsType, mountFlags: [], volumeMountGroup: "" } },
    accessMode: { mode },
  };
}

export function blockCapability(
  mode = VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER,
): VolumeCapability {
  return { accessType: { $case: "block", value: {} }, accessMode: { mode } };
}
