import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import { CreateVolumeRequest } from "../../src/generated/csi.js";
import {
  blockCapability,
  cloudRequestCount,
  type Harness,
  mountCapability,
  rpc,
  startHarness,
} from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";
/** Codes the CSI sidecars retry with backoff; anything else ends a storm call as a failure. */
const RETRIED = new Set([status.ABORTED, status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

/** Calls like a CSI sidecar: retry the retryable codes (bounded), return the final answer. */
async function likeSidecar<T>(call: () => Promise<T>, attempts = 60): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!RETRIED.has((error as ServiceError).code) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
    }
  }
}

describe("Controller RPCs under injected cloud faults", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  test("a CreateVolume storm with 5xx, 429, drops and crash-after-commit makes one volume per name", async () => {
    h.cloud.setFaults({
      seed: 7,
      rules: [
        { operation: "createVolume", kind: "crashAfterCommit", count: 3 },
        { operation: "createVolume", kind: "error", status: 503, probability: 0.3, retryAfterSeconds: 0 },
        // CreateVolume waits on getVolume (it never lists), so that is where 429s and drops must land.
        { operation: "getVolume", kind: "rateLimit", count: 4, retryAfterSeconds: 0 },
        { operation: "getVolume", kind: "dropConnection", count: 2 },
      ],
    });
    const names = ["storm-a", "storm-b", "storm-c", "storm-d", "storm-e"];
    const calls = names.flatMap((name) =>
      [1, 2, 3, 4].map(() =>
        likeSidecar(() =>
          rpc(
            h.controller,
            h.controller.createVolume,
            CreateVolumeRequest.fromPartial({ name, volumeCapabilities: [mountCapability()] }),
          ),
        ).then((response) => [name, response.volume?.volumeId ?? ""] as const),
      ),
    );
    const answers = await Promise.all(calls);
    h.cloud.setFaults({ rules: [] });
    for (const name of names) {
      const stored = await h.api.listVolumes({ name }, { deadline: Date.now() + 5000 });
      assert.equal(stored.items.length, 1, `volumes named ${name}`);
      const ids = new Set(answers.filter(([n]) => n === name).map(([, id]) => id));
      assert.deepEqual([...ids], [stored.items[0]?.id]);
    }
    const aborted = await h.metrics.csiAborted.get();
    assert.ok(aborted.values.some((v) => v.labels.method === "CreateVolume" && v.value > 0));
    // The storm really blew: every counted fault was served (a rule that never fired proves nothing).
    assert.equal(await cloudRequestCount(h, "createVolume", 0), 3, "crash-after-commit creates");
    assert.ok((await cloudRequestCount(h, "createVolume", 503)) > 0, "503 answers to createVolume");
    assert.equal(await cloudRequestCount(h, "getVolume", 429), 4, "429 answers to getVolume");
    assert.equal(await cloudRequestCount(h, "getVolume", 0), 2, "dropped getVolume connections");
  });

  test("a Publish storm with crash-after-commit leaves every volume attached once to its node", async () => {
    const node = h.remoteInstances.get("ref-1b") ?? "";
    const volumeIds: string[] = [];
    for (const n of [1, 2, 3]) {
      const { volume } = await rpc(
        h.controller,
        h.controller.createVolume,
        CreateVolumeRequest.fromPartial({
          name: `attach-storm-${n}`,
          volumeCapabilities: [blockCapability()],
          accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1b" } }], preferred: [] },
        }),
      );
      volumeIds.push(volume?.volumeId ?? "");
    }
    h.cloud.setFaults({
      seed: 11,
      rules: [
        { operation: "attachVolume", kind: "crashAfterCommit", count: 2 },
        { operation: "getVolume", kind: "error", status: 502, probability: 0.2 },
      ],
    });
    const contexts = await Promise.all(
      volumeIds.flatMap((volumeId) =>
        [1, 2, 3].map(() =>
          likeSidecar(() =>
            rpc(h.controller, h.controller.controllerPublishVolume, {
              volumeId,
              nodeId: node,
              volumeCapability: blockCapability(),
              readonly: false,
              secrets: {},
              volumeContext: {},
            }),
          ),
        ),
      ),
    );
    h.cloud.setFaults({ rules: [] });
    for (const [index, volumeId] of volumeIds.entries()) {
      const stored = await h.api.getVolume(volumeId, { deadline: Date.now() + 5000 });
      assert.deepEqual(
        stored.attachments.map((a) => [a.instanceId, a.state]),
        [[node, "attached"]],
      );
      for (const response of contexts.slice(index * 3, index * 3 + 3)) {
        assert.equal(response.publishContext.serial, volumeId);
      }
    }
    assert.equal(await cloudRequestCount(h, "attachVolume", 0), 2, "crash-after-commit attaches");
  });

  test("a Delete storm with drops and 5xx leaves no volume behind", async () => {
    const volumeIds: string[] = [];
    for (const n of [1, 2, 3]) {
      const { volume } = await rpc(
        h.controller,
        h.controller.createVolume,
        CreateVolumeRequest.fromPartial({
          name: `delete-storm-${n}`,
          volumeCapabilities: [mountCapability()],
        }),
      );
      volumeIds.push(volume?.volumeId ?? "");
    }
    h.cloud.setFaults({
      seed: 3,
      rules: [
        { operation: "deleteVolume", kind: "crashAfterCommit", count: 2 },
        { operation: "deleteVolume", kind: "dropConnection", count: 1 },
        { operation: "getVolume", kind: "error", status: 500, probability: 0.2 },
      ],
    });
    await Promise.all(
      volumeIds.flatMap((volumeId) =>
        [1, 2].map(() =>
          likeSidecar(() => rpc(h.controller, h.controller.deleteVolume, { volumeId, secrets: {} })),
        ),
      ),
    );
    h.cloud.setFaults({ rules: [] });
    for (const volumeId of volumeIds) {
      await assert.rejects(h.api.getVolume(volumeId, { deadline: Date.now() + 5000 }), { code: "not_found" });
    }
    assert.equal(await cloudRequestCount(h, "deleteVolume", 0), 3, "crashed or dropped deletes");
  });

  test("retries of a failing cloud call stop when the RPC's deadline passes", async () => {
    await h.close();
    h = await startHarness({ retry: { initialDelayMs: 200, maxDelayMs: 10_000 } });
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({ name: "deadline-vol", volumeCapabilities: [mountCapability()] }),
    );
    h.cloud.setFaults({
      rules: [{ operation: "getVolume", kind: "error", status: 503, retryAfterSeconds: 0 }],
    });
    await assert.rejects(
      rpc(h.controller, h.controller.controllerGetVolume, { volumeId: volume?.volumeId ?? "" }, 400),
      { code: status.DEADLINE_EXCEEDED },
    );
    const atDeadline = await cloudRequestCount(h, "getVolume");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await cloudRequestCount(h, "getVolume"), atDeadline);
    assert.ok(atDeadline >= 1);
  });
});
