import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { startObservabilityServer } from "../../src/observability/http-server.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { type ReadinessReport, readinessFromChecks } from "../../src/observability/readiness.js";
import { BallastError } from "../../src/shared/errors.js";
import { CapturedLog } from "./csi-harness.js";

function start(
  readiness: () => Promise<ReadinessReport> = async () => ({ ready: true, checks: { grpc: "ok" } }),
) {
  const metrics = new Metrics();
  const log = new CapturedLog();
  return startObservabilityServer({
    address: "127.0.0.1:0",
    metrics,
    readiness,
    logger: createLogger("info", log.stream),
  }).then((server) => ({ server, metrics, log }));
}

describe("startObservabilityServer", () => {
  test("/metrics serves the registry in Prometheus text format with its content type", async (t) => {
    const { server, metrics } = await start();
    t.after(() => server.close());
    metrics.csiOperations.inc({ method: "CreateVolume", code: "OK" });

    const response = await fetch(`${server.url}/metrics`);
    const body = await response.text();

    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.match(body, /^# HELP ballast_csi_operations_total CSI RPCs completed/m);
    assert.match(body, /^ballast_csi_operations_total\{method="CreateVolume",code="OK"\} 1$/m);
    assert.match(body, /^# TYPE process_resident_memory_bytes gauge$/m);
    assert.match(body, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  });

  test("/healthz answers 200 ok", async (t) => {
    const { server } = await start();
    t.after(() => server.close());

    const response = await fetch(`${server.url}/healthz`);

    assert.equal(response.status, 200);
    assert.equal(await response.text(), "ok\n");
  });

  test("/readyz answers 200 with the checks as JSON when ready", async (t) => {
    const { server } = await start(async () => ({ ready: true, checks: { grpc: "ok", cloud: "ok" } }));
    t.after(() => server.close());

    const response = await fetch(`${server.url}/readyz`);

    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.deepEqual(await response.json(), { ready: true, checks: { grpc: "ok", cloud: "ok" } });
  });

  test("/readyz answers 503 naming the failed check when the cloud is down", async (t) => {
    const readiness = readinessFromChecks({
      grpc: async () => {},
      cloud: async () => {
        throw new Error("GET http://127.0.0.1:1/v1/zones: connect ECONNREFUSED");
      },
    });
    const { server, log } = await start(readiness);
    t.after(() => server.close());

    const response = await fetch(`${server.url}/readyz`);

    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), {
      ready: false,
      checks: { grpc: "ok", cloud: "GET http://127.0.0.1:1/v1/zones: connect ECONNREFUSED" },
    });
    assert.equal(log.records().find((record) => record.msg === "not ready")?.level, "warn");
  });

  test("/readyz answers 503 when the readiness function itself rejects", async (t) => {
    const { server } = await start(async () => {
      throw new Error("readiness exploded");
    });
    t.after(() => server.close());

    const response = await fetch(`${server.url}/readyz`);

    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ready: false, checks: { readiness: "readiness exploded" } });
  });

  test("an unknown path answers 404", async (t) => {
    const { server } = await start();
    t.after(() => server.close());

    const response = await fetch(`${server.url}/debug/pprof`);

    assert.equal(response.status, 404);
    assert.equal(await response.text(), "not found: /debug/pprof\n");
  });

  test("POST answers 405 with an Allow header", async (t) => {
    const { server } = await start();
    t.after(() => server.close());

    const response = await fetch(`${server.url}/metrics`, { method: "POST" });

    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
    await response.body?.cancel();
  });

  test("HEAD answers the GET status and headers without a body", async (t) => {
    const { server } = await start(async () => ({ ready: false, checks: { cloud: "down" } }));
    t.after(() => server.close());

    const response = await fetch(`${server.url}/readyz`, { method: "HEAD" });

    assert.equal(response.status, 503);
    assert.equal(await response.text(), "");
  });

  test("a port in use is an InvalidArgument naming the address", async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as { port: number };

    await assert.rejects(
      startObservabilityServer({
        address: `127.0.0.1:${port}`,
        metrics: new Metrics({ defaultMetrics: false }),
        readiness: async () => ({ ready: true, checks: {} }),
        logger: createLogger("silent"),
      }),
      (error: unknown) =>
        error instanceof BallastError &&
        error.kind === "InvalidArgument" &&
        error.message ===
          `metrics address 127.0.0.1:${port}: cannot listen: the port is already in use: stop the process holding it or choose another port (0 picks a free one) (EADDRINUSE)`,
    );
  });

  test("a malformed address is an InvalidArgument naming the flag and the value", async () => {
    await assert.rejects(
      startObservabilityServer({
        address: "localhost",
        metrics: new Metrics({ defaultMetrics: false }),
        readiness: async () => ({ ready: true, checks: {} }),
        logger: createLogger("silent"),
      }),
      {
        name: "BallastError",
        kind: "InvalidArgument",
        message: '--metrics-address: "localhost" is not host:port',
      },
    );
  });

  test("an IPv6 loopback address binds and reports a bracketed URL", async (t) => {
    const server = await startObservabilityServer({
      address: "[::1]:0",
      metrics: new Metrics({ defaultMetrics: false }),
      readiness: async () => ({ ready: true, checks: {} }),
      logger: createLogger("silent"),
    }).catch((error: Error) => {
      if (/EADDRNOTAVAIL/.test(error.message)) return undefined;
      throw error;
    });
    if (server === undefined) return t.skip("this machine has no IPv6 loopback");
    t.after(() => server.close());

    assert.match(server.url, /^http:\/\/\[::1\]:\d+$/);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
