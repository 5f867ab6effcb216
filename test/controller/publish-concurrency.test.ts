import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { CreateVolumeRequest, VolumeCapability_AccessMode_Mode as Mode } from "../../src/generated/csi.js";
import { blockCapability, codeOf, type Harness, rpc, startHarness } from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";
const NODES = ["node-a", "node-b", "node-c"];

/**
 * The external-attacher publishes a volume to every node that needs it at once. The in-flight
 * lock must let a multi-node volume attach to several nodes together, and still keep a
 * single-node volume on one node.
 */
describe("concurrent ControllerPublishVolume calls for one volume", () => {
  let h: Harness;
  let nodeIds: string[];
  before(async () => {
    h = await startHarness({
      cloud: {
        instances: NODES.map((name) => ({ name, zone: "ref-1a", maxAttachedVolumes: 16 })),
        // Slow attaches keep every publish in flight while the others arrive.
        operationLatencyMs: { attachVolume: 400 },
      },
    });
    const deadline = { deadline: Date.now() + 5000 };
    nodeIds = await Promise.all(
      NODES.map(async (name) => (await h.api.findInstanceByName(name, deadline))?.id ?? ""),
    );
  });
  after(async () => {
    await h.close();
  });

  async function performanceVolume(name: string, mode: Mode) {
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name,
        parameters: { type: "performance" },
        volumeCapabilities: [blockCapability(mode)],
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1a" } }], preferred: [] },
      }),
    );
    return { volumeId: volume?.volumeId ?? "", volumeContext: volume?.volumeContext ?? {} };
  }

  const publishTo = (
    volume: { volumeId: string; volumeContext: Record<string, string> },
    nodeId: string,
    mode: Mode,
  ) =>
    rpc(h.controller, h.controller.controllerPublishVolume, {
      ...volume,
      nodeId,
      volumeCapability: blockCapability(mode),
      readonly: mode === Mode.MULTI_NODE_READER_ONLY,
      secrets: {},
    });

  test("a MULTI_NODE_READER_ONLY volume published to three nodes at once attaches to all three", async () => {
    const volume = await performanceVolume("concurrent-readers", Mode.MULTI_NODE_READER_ONLY);
    const codes = await Promise.all(
      nodeIds.map((nodeId) => codeOf(publishTo(volume, nodeId, Mode.MULTI_NODE_READER_ONLY))),
    );
    assert.deepEqual(codes, [status.OK, status.OK, status.OK]);
    const stored = await h.api.getVolume(volume.volumeId, { deadline: Date.now() + 5000 });
    assert.deepEqual(stored.attachments.map((a) => a.instanceId).sort(), [...nodeIds].sort());
  });

  test("a SINGLE_NODE_WRITER volume published to three nodes at once attaches to exactly one", async () => {
    const volume = await performanceVolume("concurrent-writers", Mode.SINGLE_NODE_WRITER);
    const codes = await Promise.all(
      nodeIds.map((nodeId) => codeOf(publishTo(volume, nodeId, Mode.SINGLE_NODE_WRITER))),
    );
    assert.equal(codes.filter((code) => code === status.OK).length, 1, `codes: ${codes.join(", ")}`);
    for (const code of codes.filter((c) => c !== status.OK)) {
      assert.ok([status.ABORTED, status.FAILED_PRECONDITION].includes(code), `code ${status[code]}`);
    }
    const stored = await h.api.getVolume(volume.volumeId, { deadline: Date.now() + 5000 });
    assert.equal(stored.attachments.length, 1);
  });
});
