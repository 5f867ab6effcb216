import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { CreateVolumeRequest, VolumeCapability_AccessMode_Mode as Mode } from "../../src/generated/csi.js";
import {
  blockCapability,
  cloudRequestCount,
  GiB,
  type Harness,
  rpc,
  startHarness,
} from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";

/**
 * A MULTI_NODE_READER_ONLY volume of the multi-attach tier, published to two nodes: the cloud
 * refuses to move it to a single-attach tier with a conflict, which the resizer would retry for ever.
 */
describe("ControllerModifyVolume of a volume attached to several nodes", () => {
  let h: Harness;
  let nodes: string[];
  before(async () => {
    h = await startHarness({
      cloud: {
        instances: ["reader-a", "reader-b"].map((name) => ({ name, zone: "ref-1a", maxAttachedVolumes: 8 })),
      },
    });
    const deadline = { deadline: Date.now() + 5000 };
    nodes = [
      (await h.api.findInstanceByName("reader-a", deadline))?.id ?? "",
      (await h.api.findInstanceByName("reader-b", deadline))?.id ?? "",
    ];
  });
  after(async () => {
    await h.close();
  });

  async function publishedToBothNodes(name: string): Promise<string> {
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name,
        parameters: { type: "performance" },
        // balanced, the single-attach tier it is moved to, takes this size too.
        capacityRange: { requiredBytes: 4n * GiB, limitBytes: 0n },
        volumeCapabilities: [blockCapability(Mode.MULTI_NODE_READER_ONLY)],
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1a" } }], preferred: [] },
      }),
    );
    const volumeId = volume?.volumeId ?? "";
    for (const nodeId of nodes) {
      await rpc(h.controller, h.controller.controllerPublishVolume, {
        volumeId,
        nodeId,
        volumeCapability: blockCapability(Mode.MULTI_NODE_READER_ONLY),
        readonly: true,
        secrets: {},
        volumeContext: volume?.volumeContext ?? {},
      });
    }
    return volumeId;
  }

  test("moving it to a single-attach tier is InvalidArgument naming the tier and the nodes, and the cloud is not asked", async () => {
    const volumeId = await publishedToBothNodes("multi-attached-to-balanced");
    const modifiesBefore = await cloudRequestCount(h, "modifyVolume");
    await assert.rejects(
      rpc(h.controller, h.controller.controllerModifyVolume, {
        volumeId,
        secrets: {},
        mutableParameters: { type: "balanced" },
      }),
      {
        code: status.INVALID_ARGUMENT,
        details: `mutable_parameters.type: tier balanced attaches to one node and volume ${volumeId} is attached to ${nodes.join(", ")}; unpublish it from all but one first`,
      },
    );
    assert.equal(await cloudRequestCount(h, "modifyVolume"), modifiesBefore);
    assert.equal((await h.api.getVolume(volumeId, { deadline: Date.now() + 5000 })).type, "performance");
  });

  test("changing its IOPS within its multi-attach tier is OK", async () => {
    const volumeId = await publishedToBothNodes("multi-attached-iops");
    await rpc(h.controller, h.controller.controllerModifyVolume, {
      volumeId,
      secrets: {},
      mutableParameters: { iops: "20000" },
    });
    assert.equal((await h.api.getVolume(volumeId, { deadline: Date.now() + 5000 })).iops, 20000);
  });
});
