import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { type BlockStorageClient, createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import { type ReferenceCloud, startReferenceCloud } from "../../src/cloud-sim/index.js";
import { Metrics } from "../../src/observability/metrics.js";
import { metricValue } from "./scripted-server.js";

const GiB = 1024 ** 3;

describe("cloud client against the reference cloud", () => {
  let dir: string;
  let cloud: ReferenceCloud;
  let metrics: Metrics;
  let client: BlockStorageClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-cloud-client-"));
    cloud = await startReferenceCloud({
      port: 0,
      dataDir: join(dir, "data"),
      byIdDir: join(dir, "by-id"),
      operationLatencyMs: 50,
      // These tests attach to instances that exist only in the API; no loop devices needed.
      localAttach: false,
    });
  });

  after(async () => {
    await cloud?.close({ detachLocalDevices: true });
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    metrics = new Metrics({ defaultMetrics: false });
    client = createBlockStorageClient({
      baseUrl: cloud.url,
      token: cloud.token,
      qps: 200,
      burst: 50,
      retry: { initialDelayMs: 10, maxDelayMs: 100 },
      metrics,
    });
  });

  afterEach(async () => {
    await client.close();
    cloud.setFaults({ rules: [] });
    assert.deepEqual(cloud.contractViolations, []);
  });

  const soon = () => ({ deadline: Date.now() + 20_000 });

  test("create, wait, attach to a non-local instance, detach and delete a volume", async () => {
    const node = await client.findInstanceByName("ref-node-ref-1b", soon());
    assert.ok(node !== undefined, "the reference cloud has a remote instance in ref-1b");
    assert.equal(node.zone, "ref-1b");

    const volume = await client.createVolume(
      {
        name: "pvc-lifecycle",
        zone: "ref-1b",
        sizeBytes: GiB,
        type: "standard",
        tags: { "ballast.dev/csi-name": "pvc-lifecycle" },
      },
      { ...soon(), idempotencyKey: "create-pvc-lifecycle" },
    );
    assert.equal(volume.status, "available");
    assert.equal(volume.sizeBytes, GiB);
    assert.match(volume.id, /^vol-[0-9a-f]{16}$/);
    assert.equal((await client.findVolumeByName("pvc-lifecycle", soon()))?.id, volume.id);

    const attachment = await client.attachVolume(
      volume.id,
      { instanceId: node.id },
      { ...soon(), idempotencyKey: `attach-${volume.id}-${node.id}` },
    );
    assert.equal(attachment.state, "attached");
    assert.equal(attachment.serial, volume.id);
    assert.equal((await client.getAttachment(volume.id, node.id, soon())).state, "attached");
    assert.equal((await client.getVolume(volume.id, soon())).status, "in-use");

    await client.detachVolume(volume.id, node.id, soon());
    await client.deleteVolume(volume.id, soon());
    await assert.rejects(client.getVolume(volume.id, soon()), (error: unknown) => {
      assert.ok(error instanceof CloudApiError);
      assert.equal(error.status, 404);
      assert.equal(error.code, "not_found");
      return true;
    });
    assert.equal(
      await metricValue(metrics, "ballast_cloud_operation_wait_seconds", {
        kind: "createVolume",
        result: "succeeded",
      }),
      1,
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_requests_total", {
        operation: "createVolume",
        status: "202",
      }),
      1,
    );
  });

  test("the same name with a different spec is already_exists", async () => {
    await client.createVolume(
      { name: "pvc-twice", zone: "ref-1a", sizeBytes: GiB },
      { ...soon(), idempotencyKey: "k-twice-1" },
    );
    await assert.rejects(
      client.createVolume(
        { name: "pvc-twice", zone: "ref-1a", sizeBytes: 2 * GiB },
        { ...soon(), idempotencyKey: "k-twice-2" },
      ),
      (error: unknown) => error instanceof CloudApiError && error.code === "already_exists",
    );
  });

  test("a crash after commit is retried with the Idempotency-Key and creates exactly one volume", async () => {
    cloud.setFaults({ rules: [{ operation: "createVolume", kind: "crashAfterCommit", count: 1 }] });
    const volume = await client.createVolume(
      { name: "pvc-crash", zone: "ref-1a", sizeBytes: GiB },
      { ...soon(), idempotencyKey: "create-pvc-crash" },
    );
    const page = await client.listVolumes({ name: "pvc-crash" }, soon());
    assert.deepEqual(
      page.items.map((v) => v.id),
      [volume.id],
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_retries_total", {
        operation: "createVolume",
        reason: "connection_reset",
      }),
      1,
    );
  });

  test("injected 503s on reads are retried until the cloud answers", async () => {
    cloud.setFaults({
      rules: [{ operation: "listZones", kind: "error", status: 503, retryAfterSeconds: 0, count: 2 }],
    });
    const zones = await client.listZones(soon());
    assert.deepEqual(
      zones.map((z) => z.name),
      ["ref-1a", "ref-1b", "ref-1c"],
    );
    assert.equal(
      await metricValue(metrics, "ballast_cloud_requests_total", { operation: "listZones", status: "503" }),
      2,
    );
  });

  test("an invalid page token is answered as invalid_page_token", async () => {
    await assert.rejects(client.listSnapshots({ pageToken: "not-a-token" }, soon()), (error: unknown) => {
      assert.ok(error instanceof CloudApiError);
      assert.equal(error.status, 400);
      assert.equal(error.code, "invalid_page_token");
      return true;
    });
  });

  test("volume types and capacity come back typed", async () => {
    const types = await client.listVolumeTypes(soon());
    assert.deepEqual(
      types.map((t) => t.name),
      ["standard", "balanced", "performance"],
    );
    const capacity = await client.getCapacity({ zone: "ref-1a", type: "standard" }, soon());
    assert.equal(capacity.zone, "ref-1a");
    assert.equal(typeof capacity.availableBytes, "number");
  });

  test("a token the cloud does not know is refused without echoing it", async () => {
    const wrong = createBlockStorageClient({ baseUrl: cloud.url, token: "wrong-token-123" });
    try {
      await assert.rejects(wrong.listZones(soon()), (error: unknown) => {
        assert.ok(error instanceof CloudApiError);
        assert.equal(error.code, "forbidden");
        assert.equal(error.message.includes("wrong-token-123"), false);
        return true;
      });
    } finally {
      await wrong.close();
    }
  });
});
