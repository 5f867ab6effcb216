import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { type BlockStorageClient, createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import { CloudCancelledError, CloudDeadlineError } from "../../src/cloud/call-errors.js";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import { Metrics } from "../../src/observability/metrics.js";
import { BallastError } from "../../src/shared/errors.js";
import {
  json,
  metricValue,
  neverAnswer,
  operation,
  problem,
  ScriptedServer,
  VOLUME,
} from "./scripted-server.js";

describe("operation waiter over real HTTP", () => {
  let server: ScriptedServer;
  let metrics: Metrics;
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
    client = createBlockStorageClient({
      baseUrl: server.url,
      token: "t",
      qps: 1000,
      burst: 1000,
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      poll: { initialDelayMs: 5, maxDelayMs: 20 },
      metrics,
    });
  });

  afterEach(async () => {
    await client.close();
  });

  const hints = { "retry-after": "0", "poll-after-ms": "10" };

  test("polls a running operation until it succeeds and returns the inline volume", async () => {
    server.script(
      json(202, operation("running"), hints),
      json(200, operation("running"), hints),
      json(200, operation("succeeded", { volume: { ...VOLUME, status: "available" } })),
    );
    const volume = await client.createVolume(
      { name: "pvc-1", zone: "ref-1a", sizeBytes: 1073741824 },
      { deadline: Date.now() + 5_000, idempotencyKey: "k1" },
    );
    assert.equal(volume.status, "available");
    assert.deepEqual(
      server.requests.map((r) => `${r.method} ${r.url}`),
      [
        "POST /v1/volumes",
        "GET /v1/operations/op-00000000000000a1",
        "GET /v1/operations/op-00000000000000a1",
      ],
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_operation_wait_seconds", {
        kind: "createVolume",
        result: "succeeded",
      }),
      1,
    );
  });

  test("a poll hint longer than the poll policy's longest delay is cut to it, so the work is seen done in time", async () => {
    const hostile = { "retry-after": "600", "poll-after-ms": "600000" };
    server.script(
      json(202, operation("running"), hostile),
      json(200, operation("succeeded", { volume: { ...VOLUME, status: "available" } })),
    );
    const volume = await client.createVolume(
      { name: "pvc-1", zone: "ref-1a", sizeBytes: 1073741824 },
      { deadline: Date.now() + 3_000, idempotencyKey: "k1" },
    );
    assert.equal(volume.status, "available");
    assert.equal(server.requests.length, 2);
  });

  test("polls with its own backoff when the server gives no hint", async () => {
    server.script(
      json(202, operation("running")),
      json(200, operation("running")),
      json(200, operation("succeeded", { volume: VOLUME })),
    );
    const volume = await client.createVolume(
      { name: "pvc-1", zone: "ref-1a", sizeBytes: 1073741824 },
      { deadline: Date.now() + 5_000, idempotencyKey: "k1" },
    );
    assert.equal(volume.id, VOLUME.id);
    assert.equal(server.requests.length, 3);
  });

  test("a poll that cannot reach the cloud is counted as an error, not a failed operation", async () => {
    server.script(
      json(202, operation("running"), hints),
      problem(403, "forbidden", "the bearer token is not valid"),
    );
    await assert.rejects(
      client.createVolume(
        { name: "pvc-1", zone: "ref-1a" },
        { deadline: Date.now() + 5_000, idempotencyKey: "k" },
      ),
      (error: unknown) => error instanceof CloudApiError && error.code === "forbidden",
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_operation_wait_seconds", {
        kind: "createVolume",
        result: "error",
      }),
      1,
    );
  });

  test("a failed operation throws its problem", async () => {
    server.script(
      json(202, operation("running"), hints),
      json(
        200,
        operation("failed", {
          error: {
            type: "https://ballast.dev/problems/quota_exceeded",
            title: "Quota exceeded",
            status: 422,
            code: "quota_exceeded",
            detail: "volumes: the quota of 100 volumes is used up",
          },
        }),
      ),
    );
    await assert.rejects(
      client.createVolume(
        { name: "pvc-1", zone: "ref-1a" },
        { deadline: Date.now() + 5_000, idempotencyKey: "k" },
      ),
      (error: unknown) => {
        assert.ok(error instanceof CloudApiError);
        assert.equal(error.code, "quota_exceeded");
        assert.equal(
          error.message,
          "cloud operation op-00000000000000a1 (createVolume): 422 quota_exceeded: volumes: the quota of 100 volumes is used up",
        );
        return true;
      },
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_operation_wait_seconds", {
        kind: "createVolume",
        result: "failed",
      }),
      1,
    );
  });

  test("an operation still running at the deadline fails naming it", async () => {
    server.script(json(202, operation("running"), hints), json(200, operation("running"), hints));
    await assert.rejects(
      client.createVolume(
        { name: "pvc-1", zone: "ref-1a" },
        { deadline: Date.now() + 1_500, idempotencyKey: "k" },
      ),
      (error: unknown) => {
        assert.ok(error instanceof CloudDeadlineError);
        assert.equal(
          error.message,
          "waiting for operation op-00000000000000a1 (createVolume): deadline exceeded; last error: still running",
        );
        return true;
      },
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_operation_wait_seconds", {
        kind: "createVolume",
        result: "deadline",
      }),
      1,
    );
  });

  test("a wait whose signal fires stops polling at once, counted as cancelled", async () => {
    server.script(json(202, operation("running"), hints), json(200, operation("running"), hints));
    const cancel = new AbortController();
    const waiting = client.createVolume(
      { name: "pvc-1", zone: "ref-1a" },
      { deadline: Date.now() + 60_000, idempotencyKey: "k", signal: cancel.signal },
    );
    await waitFor(() => server.requests.length >= 2);
    cancel.abort(new Error("rpc cancelled"));
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof CloudCancelledError);
      assert.equal(error.message, "waiting for operation op-00000000000000a1 (createVolume): cancelled");
      return true;
    });
    const polls = server.requests.length;
    assert.equal(
      await metricValue(metrics, "ballast_cloud_operation_wait_seconds", {
        kind: "createVolume",
        result: "cancelled",
      }),
      1,
    );
    // A few of the policy's longest poll delays (20 ms): nothing more is sent.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.requests.length, polls);
  });

  test("a wait cancelled while a poll is in flight names the operation it was waiting for", async () => {
    server.script(json(202, operation("running"), hints), neverAnswer);
    const cancel = new AbortController();
    const waiting = client.createVolume(
      { name: "pvc-1", zone: "ref-1a" },
      { deadline: Date.now() + 60_000, idempotencyKey: "k", signal: cancel.signal },
    );
    await waitFor(() => server.requests.length >= 2);
    cancel.abort(new Error("rpc cancelled"));
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof CloudCancelledError);
      assert.equal(error.message, "waiting for operation op-00000000000000a1 (createVolume): cancelled");
      return true;
    });
  });

  test("startCreateSnapshot returns the accepted operation without polling", async () => {
    server.script(
      json(202, operation("running", { kind: "createSnapshot", resourceId: "snap-00000000000000b1" }), hints),
    );
    const pending = await client.startCreateSnapshot(
      { name: "snapshot-1", sourceVolumeId: VOLUME.id },
      { deadline: Date.now() + 5_000, idempotencyKey: "snap-key" },
    );
    assert.equal(pending.operation.resourceId, "snap-00000000000000b1");
    assert.equal(pending.operation.status, "running");
    assert.equal(pending.pollHintMs, 10);
    assert.equal(server.requests.length, 1);
  });

  test("a succeeded operation without its resource is an Internal error, not a silent undefined", async () => {
    server.script(json(202, operation("succeeded", { kind: "attachVolume" })));
    await assert.rejects(
      client.attachVolume(VOLUME.id, { instanceId: "i-00000000000000b1" }, { deadline: Date.now() + 5_000 }),
      new BallastError(
        "Internal",
        "cloud operation op-00000000000000a1 (attachVolume) succeeded without its attachment",
      ),
    );
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), "condition never became true");
}
