import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import type { DriverConfig } from "../../src/cli/driver-config.js";
import { type RunningDriver, startDriver } from "../../src/cli/run-driver.js";
import { type ReferenceCloud, startReferenceCloud } from "../../src/cloud-sim/index.js";
import { type CsiClient, createCsiClient, isServiceError } from "../../src/demo/csi-client.js";
import { VolumeCapability_AccessMode_Mode } from "../../src/generated/csi.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { CapturedLog } from "./csi-harness.js";
import { parseExposition, type Scrape } from "./exposition.js";

const GiB = 1024n ** 3n;
const MOUNT = {
  accessType: { $case: "mount" as const, value: { fsType: "ext4", mountFlags: [], volumeMountGroup: "" } },
  accessMode: { mode: VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER },
};

function configFor(
  mode: DriverConfig["mode"],
  dir: string,
  cloud: { url: string; token: string },
  node?: DriverConfig["node"],
): DriverConfig {
  return {
    mode,
    endpoint: { kind: "unix", path: join(dir, `${mode}.sock`) },
    driverName: "block.csi.ballast.dev",
    cloud: { url: cloud.url, token: { value: cloud.token }, qps: 1000, burst: 1000 },
    zone: "ref-1a",
    defaultVolumeType: "balanced",
    logLevel: "info",
    metricsAddress: "127.0.0.1:0",
    drainTimeoutMs: 5000,
    node,
  };
}

async function scrape(driver: RunningDriver): Promise<Scrape> {
  const response = await fetch(`${driver.observability?.url}/metrics`);
  assert.equal(response.status, 200);
  return parseExposition(await response.text());
}

async function rpcError(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return status.OK;
  } catch (error) {
    if (isServiceError(error)) return error.code;
    throw error;
  }
}

describe("controller driver against the reference cloud", () => {
  let dir: string;
  let cloud: ReferenceCloud;
  let driver: RunningDriver;
  let csi: CsiClient;
  const log = new CapturedLog();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-obs-driver-"));
    cloud = await startReferenceCloud({
      port: 0,
      dataDir: join(dir, "cloud"),
      byIdDir: join(dir, "by-id"),
      operationLatencyMs: 20,
      localAttach: false,
    });
    driver = await startDriver(configFor("controller", dir, cloud), {
      logger: createLogger("info", log.stream),
      metrics: new Metrics(),
      vendorVersion: "test",
    });
    csi = createCsiClient(`unix://${join(dir, "controller.sock")}`, 30_000);
  });

  after(async () => {
    csi?.close();
    await driver?.stop();
    await cloud?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a scripted set of RPCs with a failure and a 429 storm moves exactly the expected series", async () => {
    const before = await scrape(driver);

    await csi.controller.createVolume({
      name: "pvc-obs-plain",
      capacityRange: { requiredBytes: GiB },
      volumeCapabilities: [MOUNT],
    });
    const invalid = await rpcError(
      csi.controller.createVolume({
        name: "pvc-obs-invalid",
        capacityRange: { requiredBytes: GiB },
        volumeCapabilities: [MOUNT],
        parameters: { noSuchParameter: "x" },
      }),
    );
    cloud.setFaults({
      rules: [{ operation: "createVolume", kind: "rateLimit", count: 3, retryAfterSeconds: 0 }],
    });
    const stormed = await csi.controller.createVolume({
      name: "pvc-obs-storm",
      capacityRange: { requiredBytes: GiB },
      volumeCapabilities: [MOUNT],
    });
    cloud.setFaults({ rules: [] });
    await csi.controller.deleteVolume({ volumeId: stormed.volume?.volumeId ?? "" });

    const after = await scrape(driver);
    assert.equal(invalid, status.INVALID_ARGUMENT);
    const moved = (name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    assert.deepEqual(
      {
        createOk: moved("ballast_csi_operations_total", { method: "CreateVolume", code: "OK" }),
        createInvalid: moved("ballast_csi_operations_total", {
          method: "CreateVolume",
          code: "INVALID_ARGUMENT",
        }),
        deleteOk: moved("ballast_csi_operations_total", { method: "DeleteVolume", code: "OK" }),
        createTimed: moved("ballast_csi_operation_duration_seconds_count", {
          method: "CreateVolume",
          code: "OK",
        }),
        createInFlight: after.value("ballast_csi_operations_in_flight", { method: "CreateVolume" }),
        throttled: moved("ballast_cloud_throttled_total", { operation: "createVolume" }),
        answered429: moved("ballast_cloud_requests_total", { operation: "createVolume", status: "429" }),
        retried429: moved("ballast_cloud_retries_total", { operation: "createVolume", reason: "429" }),
        createAccepted: moved("ballast_cloud_requests_total", { operation: "createVolume", status: "202" }),
        deleteAccepted: moved("ballast_cloud_requests_total", { operation: "deleteVolume", status: "202" }),
        createAttempts: moved("ballast_cloud_request_duration_seconds_count", { operation: "createVolume" }),
        cloudInFlight: after.value("ballast_cloud_requests_in_flight", { operation: "createVolume" }),
      },
      {
        createOk: 2,
        createInvalid: 1,
        deleteOk: 1,
        createTimed: 2,
        createInFlight: 0,
        throttled: 3,
        answered429: 3,
        retried429: 3,
        createAccepted: 2,
        deleteAccepted: 1,
        createAttempts: 5,
        cloudInFlight: 0,
      },
    );
    assert.equal(moved("ballast_cloud_rate_limiter_wait_seconds_count", {}) > 0, true);
    assert.deepEqual(
      {
        createWaited: moved("ballast_cloud_operation_wait_seconds_count", {
          kind: "createVolume",
          result: "succeeded",
        }),
        deleteWaited: moved("ballast_cloud_operation_wait_seconds_count", {
          kind: "deleteVolume",
          result: "succeeded",
        }),
      },
      { createWaited: 2, deleteWaited: 1 },
    );
    const rpcLines = log.rpcRecords().filter((record) => record.method === "CreateVolume");
    assert.deepEqual(
      rpcLines.map((record) => [record.name, record.grpc_code, record.level]),
      [
        ["pvc-obs-plain", "OK", "info"],
        ["pvc-obs-invalid", "INVALID_ARGUMENT", "warn"],
        ["pvc-obs-storm", "OK", "info"],
      ],
    );
  });

  test("a second RPC on a volume already being worked on counts as an in-flight conflict", async () => {
    const created = await csi.controller.createVolume({
      name: "pvc-obs-conflict",
      capacityRange: { requiredBytes: GiB },
      volumeCapabilities: [MOUNT],
    });
    const volumeId = created.volume?.volumeId ?? "";
    const before = await scrape(driver);
    cloud.setFaults({ rules: [{ operation: "deleteVolume", kind: "latency", latencyMs: 500, count: 1 }] });

    const codes = await Promise.all([
      rpcError(csi.controller.deleteVolume({ volumeId })),
      rpcError(csi.controller.deleteVolume({ volumeId })),
    ]);
    cloud.setFaults({ rules: [] });

    const after = await scrape(driver);
    assert.deepEqual(codes.sort(), [status.OK, status.ABORTED].sort());
    assert.equal(
      after.value("ballast_csi_inflight_conflicts_total", { method: "DeleteVolume" }) -
        before.value("ballast_csi_inflight_conflicts_total", { method: "DeleteVolume" }),
      1,
    );
    assert.equal(
      after.value("ballast_csi_operations_total", { method: "DeleteVolume", code: "ABORTED" }) -
        before.value("ballast_csi_operations_total", { method: "DeleteVolume", code: "ABORTED" }),
      1,
    );
  });

  test("/healthz and /readyz answer 200 while the cloud is up", async () => {
    const health = await fetch(`${driver.observability?.url}/healthz`);
    const ready = await fetch(`${driver.observability?.url}/readyz`);

    assert.equal(health.status, 200);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, checks: { csi: "ok", cloud: "ok" } });
    await health.body?.cancel();
  });
});

describe("controller driver whose cloud is down", () => {
  let dir: string;
  let driver: RunningDriver;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-obs-down-"));
    const cloud = await startReferenceCloud({
      port: 0,
      dataDir: join(dir, "cloud"),
      byIdDir: join(dir, "by-id"),
      localAttach: false,
    });
    const gone = { url: cloud.url, token: cloud.token };
    await cloud.close();
    driver = await startDriver(configFor("controller", dir, gone), {
      logger: createLogger("silent"),
      metrics: new Metrics(),
      vendorVersion: "test",
    });
  });

  after(async () => {
    await driver?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("/readyz answers 503 naming the cloud check while /healthz stays 200", async () => {
    const ready = await fetch(`${driver.observability?.url}/readyz`);
    const health = await fetch(`${driver.observability?.url}/healthz`);

    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), {
      ready: false,
      checks: { csi: "ok", cloud: "block-storage API not reachable" },
    });
    assert.equal(health.status, 200);
    await health.body?.cancel();
  });
});

describe("node driver", () => {
  let dir: string;
  let cloud: ReferenceCloud;
  let driver: RunningDriver;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-obs-node-"));
    cloud = await startReferenceCloud({
      port: 0,
      dataDir: join(dir, "cloud"),
      byIdDir: join(dir, "by-id"),
      localAttach: false,
    });
    driver = await startDriver(
      configFor("node", dir, cloud, {
        nodeName: "ref-node-ref-1a",
        byIdDir: join(dir, "by-id"),
        stateDir: join(dir, "node-state"),
        deviceWaitMs: 1000,
      }),
      { logger: createLogger("silent"), metrics: new Metrics(), vendorVersion: "test" },
    );
  });

  after(async () => {
    await driver?.stop();
    await cloud?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("serves node metrics, /healthz and /readyz", async () => {
    const metrics = await scrape(driver);
    const ready = await fetch(`${driver.observability?.url}/readyz`);

    assert.equal(metrics.has("ballast_node_volumes_staged"), true);
    assert.equal(metrics.has("process_resident_memory_bytes"), true);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, checks: { csi: "ok" } });
  });

  test("/readyz answers 503 naming the csi check once the socket is gone", async () => {
    const socket = join(dir, "node.sock");
    await rm(socket);
    const ready = await fetch(`${driver.observability?.url}/readyz`);

    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { ready: boolean; checks: { csi: string } };
    assert.equal(body.ready, false);
    assert.match(body.checks.csi, new RegExp(`^CSI endpoint unix://${socket} refuses connections: .*ENOENT`));
  });
});
