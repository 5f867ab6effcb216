import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { type BlockStorageClient, createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import {
  CloudCancelledError,
  CloudDeadlineError,
  CloudGaveUpError,
  CloudTransportError,
} from "../../src/cloud/call-errors.js";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { BallastError } from "../../src/shared/errors.js";
import {
  dropConnection,
  json,
  metricValue,
  neverAnswer,
  operation,
  problem,
  ScriptedServer,
  VOLUME,
} from "./scripted-server.js";

const TOKEN = "s3cret-token-value";

describe("cloud client retries over real HTTP", () => {
  let server: ScriptedServer;
  let metrics: Metrics;
  let logLines: string[];
  let client: BlockStorageClient;

  before(async () => {
    server = await ScriptedServer.start();
  });

  after(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    metrics = new Metrics({ defaultMetrics: false });
    logLines = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    client = createBlockStorageClient({
      baseUrl: server.url,
      token: TOKEN,
      qps: 1000,
      burst: 1000,
      retry: { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 },
      poll: { initialDelayMs: 5, maxDelayMs: 20 },
      metrics,
      logger: createLogger("debug", sink),
    });
  });

  afterEach(async () => {
    await client.close();
  });

  const soon = (ms = 5_000) => ({ deadline: Date.now() + ms });

  test("a 503 with Retry-After then a 200 succeeds on the second attempt", async () => {
    server.script(problem(503, "unavailable", "maintenance", { "retry-after": "0" }), json(200, VOLUME));
    const volume = await client.getVolume(VOLUME.id, soon());
    assert.equal(volume.id, VOLUME.id);
    assert.equal(server.requests.length, 2);
    assert.equal(
      await metricValue(metrics, "ballast_cloud_requests_total", { operation: "getVolume", status: "503" }),
      1,
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_requests_total", { operation: "getVolume", status: "200" }),
      1,
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_retries_total", { operation: "getVolume", reason: "503" }),
      1,
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_request_duration_seconds", { operation: "getVolume" }),
      2,
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_requests_in_flight", { operation: "getVolume" }),
      0,
    );
  });

  test("waits at least the Retry-After of a 429 before trying again", async () => {
    server.script(problem(429, "rate_limited", "slow down", { "retry-after": "1" }), json(200, VOLUME));
    await client.getVolume(VOLUME.id, soon());
    const [first, second] = server.requests;
    assert.ok(first !== undefined && second !== undefined);
    // Lower bound only: the client must not come back before the server said it may.
    assert.ok(second.at - first.at >= 990, `retried after ${second.at - first.at} ms`);
    assert.equal(await metricValue(metrics, "ballast_cloud_throttled_total", { operation: "getVolume" }), 1);
  });

  test("a Retry-After longer than the backoff is waited once, not added to the backoff", async () => {
    // The first retry's backoff is exactly 900 ms; waited after the 1 s hint it would make 1.9 s.
    const patient = createBlockStorageClient({
      baseUrl: server.url,
      token: TOKEN,
      retry: { maxRetries: 1, initialDelayMs: 900, maxDelayMs: 900 },
    });
    server.script(problem(503, "unavailable", "maintenance", { "retry-after": "1" }), json(200, VOLUME));
    try {
      await patient.getVolume(VOLUME.id, soon());
    } finally {
      await patient.close();
    }
    const [first, second] = server.requests;
    assert.ok(first !== undefined && second !== undefined);
    const gap = second.at - first.at;
    assert.ok(gap >= 990 && gap < 1_800, `retried after ${gap} ms`);
  });

  test("a 429 storm ends after the retry budget, giving up with the last error", async () => {
    server.script(problem(429, "rate_limited", "request rate limit exceeded", { "retry-after": "0" }));
    const error = await failure(client.listZones(soon()), CloudGaveUpError);
    assert.equal(error.reason, "retries_exhausted");
    assert.equal(error.attempts, 4);
    assert.ok(error.lastError instanceof CloudApiError);
    assert.equal(
      error.message,
      "cloud listZones: 429 rate_limited: request rate limit exceeded (gave up after 4 attempts)",
    );
    assert.equal(server.requests.length, 4);
    assert.equal(await metricValue(metrics, "ballast_cloud_throttled_total", { operation: "listZones" }), 4);
    assert.equal(
      await metricValue(metrics, "ballast_cloud_retries_total", { operation: "listZones", reason: "429" }),
      3,
    );
  });

  test("a dropped connection is retried and counted as a request without status", async () => {
    server.script(dropConnection, json(200, VOLUME));
    const volume = await client.getVolume(VOLUME.id, soon());
    assert.equal(volume.name, "pvc-1");
    assert.equal(server.requests.length, 2);
    assert.equal(
      await metricValue(metrics, "ballast_cloud_requests_total", { operation: "getVolume", status: "error" }),
      1,
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_retries_total", {
        operation: "getVolume",
        reason: "connection_reset",
      }),
      1,
    );
  });

  test("a response slower than the deadline is aborted at the deadline", async () => {
    server.script(neverAnswer);
    // Long enough for the request to reach the server even on a loaded machine.
    const error = await failure(client.getVolume(VOLUME.id, soon(1_500)), CloudDeadlineError);
    assert.equal(
      error.message,
      "cloud getVolume: deadline exceeded; last error: request still in flight at the deadline",
    );
    assert.equal(server.requests.length, 1);
    await waitFor(() => server.requests[0]?.abandoned === true);
  });

  test("a call cancelled through its signal stops the request", async () => {
    server.script(neverAnswer);
    const controller = new AbortController();
    const call = client.getVolume(VOLUME.id, { ...soon(), signal: controller.signal });
    await waitFor(() => server.requests.length === 1);
    controller.abort(new Error("rpc cancelled"));
    const error = await failure(call, CloudCancelledError);
    assert.equal(error.message, "cloud getVolume: cancelled");
    await waitFor(() => server.requests[0]?.abandoned === true);
    assert.equal(server.requests.length, 1);
  });

  test("a Retry-After beyond the deadline fails at once instead of sleeping", async () => {
    server.script(problem(503, "unavailable", "maintenance", { "retry-after": "30" }));
    const error = await failure(client.getVolume(VOLUME.id, soon(2_000)), CloudDeadlineError);
    assert.match(
      error.message,
      /^cloud getVolume: deadline exceeded; last error: 503 unavailable: maintenance \(next attempt in 30000 ms, \d+ ms left\)$/,
    );
    assert.equal(server.requests.length, 1);
  });

  test("a POST without Idempotency-Key is not retried", async () => {
    server.script(problem(503, "unavailable", "busy"), json(202, operation("succeeded", { volume: VOLUME })));
    const error = await failure(
      client.createVolume({ name: "pvc-1", zone: "ref-1a", sizeBytes: 1073741824 }, soon()),
      CloudGaveUpError,
    );
    assert.equal(error.reason, "not_retry_safe");
    assert.equal(
      error.message,
      "cloud createVolume: 503 unavailable: busy (not retried: POST without an Idempotency-Key may have taken effect)",
    );
    assert.equal(server.requests.length, 1);
  });

  test("a POST with Idempotency-Key is retried with the same key and body", async () => {
    server.script(dropConnection, json(202, operation("succeeded", { volume: VOLUME })));
    const volume = await client.createVolume(
      { name: "pvc-1", zone: "ref-1a", sizeBytes: 1073741824 },
      { ...soon(), idempotencyKey: "create-pvc-1" },
    );
    assert.equal(volume.id, VOLUME.id);
    assert.equal(server.requests.length, 2);
    const [first, second] = server.requests;
    assert.equal(first?.headers["idempotency-key"], "create-pvc-1");
    assert.equal(second?.headers["idempotency-key"], "create-pvc-1");
    assert.equal(second?.body, first?.body);
    assert.deepEqual(JSON.parse(second?.body ?? ""), {
      name: "pvc-1",
      zone: "ref-1a",
      sizeBytes: 1073741824,
    });
  });

  test("a 4xx other than 429 is not retried and leaves as the API's answer", async () => {
    server.script(problem(404, "not_found", "volume vol-0123456789abcdef does not exist"));
    const error = await failure(client.getVolume(VOLUME.id, soon()), CloudApiError);
    assert.equal(error.code, "not_found");
    assert.equal(error.message, "cloud getVolume: 404 not_found: volume vol-0123456789abcdef does not exist");
    assert.equal(server.requests.length, 1);
  });

  test("a DELETE is retried on a 500", async () => {
    server.script(
      problem(500, "internal", "oops"),
      json(202, operation("succeeded", { kind: "deleteVolume" }), { "retry-after": "0" }),
    );
    await client.deleteVolume(VOLUME.id, soon());
    assert.deepEqual(
      server.requests.map((r) => `${r.method} ${r.url}`),
      [`DELETE /v1/volumes/${VOLUME.id}`, `DELETE /v1/volumes/${VOLUME.id}`],
    );
  });

  test("a token file that cannot be read fails the call at once, sending and counting nothing", async () => {
    const tokenFile = join(tmpdir(), `ballast-missing-token-${process.pid}`);
    const unauthenticated = createBlockStorageClient({
      baseUrl: server.url,
      tokenFile,
      retry: { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 },
      metrics,
    });
    server.script(json(200, VOLUME));
    try {
      await assert.rejects(
        unauthenticated.getVolume(VOLUME.id, soon()),
        new BallastError(
          "Unavailable",
          `cloud token file ${JSON.stringify(tokenFile)} cannot be read: ENOENT`,
        ),
      );
    } finally {
      await unauthenticated.close();
    }
    assert.equal(server.requests.length, 0);
    assert.equal(await metricValue(metrics, "ballast_cloud_requests_total", { operation: "getVolume" }), 0);
    assert.equal(await metricValue(metrics, "ballast_cloud_retries_total", { operation: "getVolume" }), 0);
  });

  test("sends the bearer token and never logs it", async () => {
    server.script(json(200, { items: [] }));
    await client.listZones(soon());
    assert.equal(server.requests[0]?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(logLines.length, 1);
    const line = JSON.parse(logLines[0] ?? "{}");
    assert.equal(line.msg, "cloud request");
    assert.equal(line.operation, "listZones");
    assert.equal(line.status, "200");
    assert.equal(line.attempt, 1);
    assert.equal(typeof line.durationMs, "number");
    assert.equal(logLines.join("").includes(TOKEN), false);
  });

  test("query filters are sent as the contract names them", async () => {
    server.script(json(200, { items: [VOLUME] }));
    const page = await client.listVolumes(
      {
        zone: "ref-1a",
        tags: { "ballast.dev/managed-by": "block.csi.ballast.dev" },
        limit: 10,
        pageToken: "abc",
      },
      soon(),
    );
    assert.equal(page.items.length, 1);
    const url = new URL(server.requests[0]?.url ?? "", server.url);
    assert.equal(url.pathname, "/v1/volumes");
    assert.equal(url.searchParams.get("zone"), "ref-1a");
    assert.deepEqual(url.searchParams.getAll("tag"), ["ballast.dev/managed-by=block.csi.ballast.dev"]);
    assert.equal(url.searchParams.get("limit"), "10");
    assert.equal(url.searchParams.get("pageToken"), "abc");
  });

  test("findVolumeByName answers undefined when the list is empty", async () => {
    server.script(json(200, { items: [] }));
    assert.equal(await client.findVolumeByName("pvc-missing", soon()), undefined);
    assert.equal(new URL(server.requests[0]?.url ?? "", server.url).searchParams.get("name"), "pvc-missing");
  });
});

describe("cloud client without a server", () => {
  test("connection refused is retried, then given up on naming the reason", async () => {
    const server = await ScriptedServer.start();
    const url = server.url;
    await server.close();
    const metrics = new Metrics({ defaultMetrics: false });
    const client = createBlockStorageClient({
      baseUrl: url,
      token: TOKEN,
      retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 },
      metrics,
    });
    try {
      const error = await failure(client.listZones({ deadline: Date.now() + 5_000 }), CloudGaveUpError);
      assert.ok(error.lastError instanceof CloudTransportError);
      assert.equal(error.lastError.reason, "connection_refused");
      assert.match(error.message, /^cloud listZones: connection_refused: .* \(gave up after 3 attempts\)$/);
      assert.equal(
        await metricValue(metrics, "ballast_cloud_retries_total", { reason: "connection_refused" }),
        2,
      );
    } finally {
      await client.close();
    }
  });

  test("a baseUrl that is not http(s) is InvalidArgument naming it", () => {
    assert.throws(
      () => createBlockStorageClient({ baseUrl: "ftp://example", token: TOKEN }),
      new BallastError("InvalidArgument", 'baseUrl: "ftp://example" is not an http(s) URL'),
    );
  });

  test("credentials must be given exactly once", () => {
    assert.throws(
      () => createBlockStorageClient({ baseUrl: "http://127.0.0.1:1", token: TOKEN, tokenFile: "/x" }),
      /give exactly one of token, tokenFile and tokenSource \(got 2\)/,
    );
  });
});

/** The error `promise` fails with, which must be a `type`. */
async function failure<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), "condition never became true");
}
