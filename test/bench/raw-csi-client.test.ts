import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { BenchDriver } from "../../bench/harness/bench-driver.js";
import { createDirectClient } from "../../bench/harness/direct-client.js";
import { type Environment, withEnvironment } from "../../bench/harness/environment.js";
import { driverCalls } from "../../bench/harness/provisioning-calls.js";
import { RawCallError, RawGrpcChannel } from "../../bench/harness/raw-grpc-client.js";
import { errorLabel } from "../../bench/harness/workload.js";
import { ControllerService, CreateVolumeRequest } from "../../src/generated/csi.js";
import { smallEnvironment } from "./small-environment.js";

/**
 * The storm's light CSI client (`--storm-csi-client raw`) against a real `ballast all` and
 * reference cloud: it must make the same calls, with the same answers, as the grpc-js client.
 */
describe("bench: the raw CSI client", () => {
  let workDir: string;
  let environment: Environment;
  let driver: BenchDriver;
  let socketPath: string;
  let release: () => void;
  let stopped: Promise<unknown>;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), "ballast-bench-raw-client-"));
    let markReady: () => void = () => undefined;
    let failReady: (error: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    stopped = withEnvironment(smallEnvironment(workDir), "raw-client", async (started) => {
      environment = started;
      driver = await started.startDriver("driver");
      socketPath = driver.endpoint.replace(/^unix:\/\//, "");
      markReady();
      await held;
    }).catch((error: unknown) => failReady(error));
    await ready;
  });

  after(async () => {
    release();
    await stopped;
    await rm(workDir, { recursive: true, force: true });
  });

  test("creates a volume and publishes it to an instance, which the cloud then shows attached", async () => {
    const calls = driverCalls(driver, "raw");
    const cloud = createDirectClient({
      url: environment.cloud.url,
      token: environment.cloud.token,
      qps: 100,
      burst: 100,
    });
    try {
      const instanceId = environment.cloud.remoteInstanceIds[0] as string;
      const volumeId = await calls.create("pvc-raw-client-1");
      await calls.attach(volumeId, instanceId);
      const volume = await cloud.getVolume(volumeId, { deadline: Date.now() + 10_000 });
      assert.equal(volume.name, "pvc-raw-client-1");
      assert.deepEqual(
        volume.attachments.map((attachment) => [attachment.instanceId, attachment.state]),
        [[instanceId, "attached"]],
      );
    } finally {
      calls.close();
      await cloud.close();
    }
  });

  test("a refused call rejects with the driver's status name, which the storm counts errors by", async () => {
    const channel = new RawGrpcChannel(socketPath);
    try {
      const refused = await channel
        .unary(ControllerService.createVolume, CreateVolumeRequest.fromPartial({ name: "" }), 10_000)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(refused instanceof RawCallError);
      assert.equal(errorLabel(refused), "INVALID_ARGUMENT");
    } finally {
      channel.close();
    }
  });
});
