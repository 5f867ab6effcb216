import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { CreateVolumeRequest, VolumeCapability_AccessMode_Mode as Mode } from "../../src/generated/csi.js";
import { modeName } from "../../src/shared/access-modes.js";
import { GiB, type Harness, mountCapability, rpc, startHarness, takeApiCalls } from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";

/**
 * A volume created on a single-attach tier keeps `volumeType` naming that tier in its context after
 * ControllerModifyVolume moves it to a multi-attach one. Publish must still keep a single-node
 * volume on one node.
 */
describe("ControllerPublishVolume of a single-node volume whose volumeType hint is stale", () => {
  let h: Harness;
  let nodeA: string;
  let nodeB: string;
  before(async () => {
    h = await startHarness({
      cloud: {
        instances: ["node-a", "node-b"].map((name) => ({ name, zone: "ref-1a", maxAttachedVolumes: 16 })),
      },
    });
    const deadline = { deadline: Date.now() + 5000 };
    nodeA = (await h.api.findInstanceByName("node-a", deadline))?.id ?? "";
    nodeB = (await h.api.findInstanceByName("node-b", deadline))?.id ?? "";
  });
  after(async () => {
    await h.close();
  });

  /** Creates a balanced (single-attach) volume, moves it to performance (multi-attach), returns it. */
  async function movedToMultiAttach(name: string, mode: Mode) {
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name,
        parameters: { type: "balanced" },
        // performance starts at 4 GiB, so the volume is created big enough to move there.
        capacityRange: { requiredBytes: 4n * GiB, limitBytes: 0n },
        volumeCapabilities: [mountCapability(mode)],
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1a" } }], preferred: [] },
      }),
    );
    const volumeId = volume?.volumeId ?? "";
    await rpc(h.controller, h.controller.controllerModifyVolume, {
      volumeId,
      secrets: {},
      mutableParameters: { type: "performance" },
    });
    assert.equal((await h.api.getVolume(volumeId, { deadline: Date.now() + 5000 })).type, "performance");
    assert.deepEqual(volume?.volumeContext, { volumeType: "balanced" });
    return { volumeId, volumeContext: volume?.volumeContext ?? {} };
  }

  const publish = (
    volume: { volumeId: string; volumeContext: Record<string, string> },
    nodeId: string,
    mode: Mode,
  ) =>
    rpc(h.controller, h.controller.controllerPublishVolume, {
      ...volume,
      nodeId,
      volumeCapability: mountCapability(mode),
      readonly: mode === Mode.SINGLE_NODE_READER_ONLY,
      secrets: {},
    });

  test("SINGLE_NODE_WRITER published to node A then node B is FailedPrecondition naming A", async () => {
    const volume = await movedToMultiAttach("stale-hint-writer", Mode.SINGLE_NODE_WRITER);
    await publish(volume, nodeA, Mode.SINGLE_NODE_WRITER);
    await assert.rejects(
      publish(volume, nodeB, Mode.SINGLE_NODE_WRITER),
      (error: { code: number; details: string }) =>
        error.code === status.FAILED_PRECONDITION &&
        error.details ===
          `volume ${volume.volumeId} is published to node ${nodeA}; its access mode allows one node`,
    );
    const got = await rpc(h.controller, h.controller.controllerGetVolume, { volumeId: volume.volumeId });
    assert.deepEqual(got.status?.publishedNodeIds, [nodeA]);
  });

  test("the stale hint still takes the attach-first path: one attach and no reads", async () => {
    const volume = await movedToMultiAttach("stale-hint-cost", Mode.SINGLE_NODE_WRITER);
    await takeApiCalls(h);
    await publish(volume, nodeA, Mode.SINGLE_NODE_WRITER);
    const { getOperation: _polls, ...calls } = await takeApiCalls(h);
    assert.deepEqual(calls, { attachVolume: 1 });
  });

  for (const mode of [
    Mode.SINGLE_NODE_SINGLE_WRITER,
    Mode.SINGLE_NODE_MULTI_WRITER,
    Mode.SINGLE_NODE_READER_ONLY,
  ]) {
    test(`${modeName(mode)} published to a second node is FailedPrecondition naming the first`, async () => {
      const volume = await movedToMultiAttach(`stale-hint-${mode}`, mode);
      await publish(volume, nodeA, mode);
      await assert.rejects(
        publish(volume, nodeB, mode),
        (error: { code: number; details: string }) =>
          error.code === status.FAILED_PRECONDITION && error.details.includes(`published to node ${nodeA};`),
      );
      const stored = await h.api.getVolume(volume.volumeId, { deadline: Date.now() + 5000 });
      assert.deepEqual(
        stored.attachments.map((a) => a.instanceId),
        [nodeA],
      );
    });
  }

  test("a publish to the node it is already on answers the same context", async () => {
    const volume = await movedToMultiAttach("stale-hint-again", Mode.SINGLE_NODE_WRITER);
    const first = await publish(volume, nodeA, Mode.SINGLE_NODE_WRITER);
    const again = await publish(volume, nodeA, Mode.SINGLE_NODE_WRITER);
    assert.deepEqual(again.publishContext, first.publishContext);
  });
});
