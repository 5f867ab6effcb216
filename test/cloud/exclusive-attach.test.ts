import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { type BlockStorageClient, createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import { type ReferenceCloud, startReferenceCloud } from "../../src/cloud-sim/index.js";
import { Metrics } from "../../src/observability/metrics.js";
import { json, operation, ScriptedServer, VOLUME } from "./scripted-server.js";

const GiB = 1024 ** 3;
const INSTANCE = "i-00000000000000b1";

describe("cloud client attachVolume request body", () => {
  let server: ScriptedServer;
  let client: BlockStorageClient;

  before(async () => {
    server = await ScriptedServer.start();
  });

  after(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    server.script(
      json(
        202,
        operation("succeeded", {
          kind: "attachVolume",
          attachment: {
            volumeId: VOLUME.id,
            instanceId: INSTANCE,
            serial: VOLUME.id,
            byIdPath: `/dev/disk/by-id/virtio-${VOLUME.id}`,
            state: "attached",
            readOnly: false,
          },
        }),
      ),
    );
    client = createBlockStorageClient({
      baseUrl: server.url,
      token: "t",
      qps: 1000,
      burst: 1000,
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      metrics: new Metrics({ defaultMetrics: false }),
    });
  });

  afterEach(async () => {
    await client.close();
  });

  const soon = () => ({ deadline: Date.now() + 5_000, idempotencyKey: "attach-key" });

  test("exclusive true is sent in the body", async () => {
    await client.attachVolume(VOLUME.id, { instanceId: INSTANCE, readOnly: false, exclusive: true }, soon());
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.url, JSON.parse(r.body)]),
      [
        [
          "POST",
          `/v1/volumes/${VOLUME.id}/attachments`,
          { instanceId: INSTANCE, readOnly: false, exclusive: true },
        ],
      ],
    );
  });

  test("a request without exclusive leaves it out, so the cloud's default (false) applies", async () => {
    await client.attachVolume(VOLUME.id, { instanceId: INSTANCE }, soon());
    assert.deepEqual(
      server.requests.map((r) => JSON.parse(r.body)),
      [{ instanceId: INSTANCE }],
    );
  });
});

describe("cloud client exclusive attach against the reference cloud", () => {
  let dir: string;
  let cloud: ReferenceCloud;
  let client: BlockStorageClient;
  const instanceIds = new Map<string, string>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-cloud-exclusive-"));
    cloud = await startReferenceCloud({
      port: 0,
      dataDir: join(dir, "data"),
      byIdDir: join(dir, "by-id"),
      operationLatencyMs: 10,
      localAttach: false,
      instances: ["node-1", "node-2"].map((name) => ({ name, zone: "ref-1a", maxAttachedVolumes: 8 })),
    });
    client = createBlockStorageClient({
      baseUrl: cloud.url,
      token: cloud.token,
      qps: 200,
      burst: 50,
      retry: { initialDelayMs: 10, maxDelayMs: 100 },
      metrics: new Metrics({ defaultMetrics: false }),
    });
    const listed = await client.listInstances({}, { deadline: Date.now() + 5_000 });
    for (const instance of listed.items) instanceIds.set(instance.name, instance.id);
  });

  after(async () => {
    await client?.close();
    await cloud?.close({ detachLocalDevices: true });
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(cloud?.contractViolations ?? [], []);
  });

  const soon = (key: string) => ({ deadline: Date.now() + 20_000, idempotencyKey: key });

  test("an exclusive attach of a multi-attach volume attached elsewhere is FailedPrecondition (volume_in_use)", async () => {
    const volume = await client.createVolume(
      { name: "pvc-exclusive", zone: "ref-1a", sizeBytes: 4 * GiB, type: "performance" },
      soon("create-pvc-exclusive"),
    );
    const first = instanceIds.get("node-1") ?? "";
    const second = instanceIds.get("node-2") ?? "";
    await client.attachVolume(volume.id, { instanceId: first, exclusive: true }, soon("attach-1"));
    await assert.rejects(
      client.attachVolume(volume.id, { instanceId: second, exclusive: true }, soon("attach-2")),
      (error: unknown) => {
        assert.ok(error instanceof CloudApiError);
        assert.equal(error.code, "volume_in_use");
        assert.match(error.message, new RegExp(`attached to instance ${first}`));
        return true;
      },
    );
  });
});
