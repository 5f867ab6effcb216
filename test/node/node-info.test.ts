import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import type { NodeGetInfoResponse } from "../../src/generated/csi.js";
import type { InstanceLookup, NodeIdentityConfig } from "../../src/node/node-identity.js";
import { createNodeService } from "../../src/node/node-service.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { invoke, recordingExec } from "./device-lab.js";

const lookup = (maxAttachedVolumes: number, unmanaged: string[]): InstanceLookup & { names: string[] } => {
  const names: string[] = [];
  return {
    names,
    async findInstanceByName(name) {
      names.push(name);
      return {
        id: "i-00000000000000aa",
        zone: "zone-b",
        maxAttachedVolumes,
        unmanagedAttachedVolumeIds: unmanaged,
      };
    },
  };
};

/** Nothing here formats a device, so the journal of formats is never written. */
const UNUSED_STATE_DIR = "/nonexistent/ballast-node-info-state";

async function nodeInfo(identity: NodeIdentityConfig): Promise<NodeGetInfoResponse> {
  const service = await createNodeService({
    exec: recordingExec(),
    logger: createLogger("silent"),
    metrics: new Metrics({ defaultMetrics: false }),
    udevadmPath: null,
    stateDir: UNUSED_STATE_DIR,
    identity,
  });
  return invoke(createNodeHandlers(service).nodeGetInfo, {});
}

describe("NodeGetInfo", () => {
  test("finds the instance by node name and subtracts volumes the driver does not manage", async () => {
    const cloud = lookup(16, ["vol-00000000000000b0", "vol-00000000000000b1"]);
    const info = await nodeInfo({ nodeName: "worker-1", lookup: cloud });
    assert.deepEqual(cloud.names, ["worker-1"]);
    assert.deepEqual(info, {
      nodeId: "i-00000000000000aa",
      maxVolumesPerNode: 14n,
      accessibleTopology: {
        segments: {
          "topology.block.csi.ballast.dev/zone": "zone-b",
          "topology.kubernetes.io/zone": "zone-b",
        },
      },
    });
  });

  test("flags override what the cloud says", async () => {
    const info = await nodeInfo({
      nodeName: "worker-1",
      nodeId: "i-0000000000000001",
      zone: "zone-c",
      lookup: lookup(8, []),
    });
    assert.equal(info.nodeId, "i-0000000000000001");
    assert.equal(info.maxVolumesPerNode, 8n);
    assert.equal(info.accessibleTopology?.segments["topology.block.csi.ballast.dev/zone"], "zone-c");
  });

  test("with the standard zone key off, only the driver's own zone key is reported", async () => {
    const info = await nodeInfo({
      nodeId: "i-0000000000000003",
      zone: "zone-a",
      maxVolumesPerNode: 5,
      reportStandardZoneKey: false,
    });
    assert.deepEqual(info.accessibleTopology, {
      segments: { "topology.block.csi.ballast.dev/zone": "zone-a" },
    });
  });

  test("complete flags need no cloud", async () => {
    const info = await nodeInfo({ nodeId: "i-0000000000000002", zone: "zone-a", maxVolumesPerNode: 5 });
    assert.equal(info.maxVolumesPerNode, 5n);
  });

  test("an instance with no room left is an error, never 0 (which CSI reads as unlimited)", async () => {
    await assert.rejects(
      nodeInfo({ nodeName: "worker-1", lookup: lookup(2, ["vol-00000000000000b0", "vol-00000000000000b1"]) }),
      {
        code: status.FAILED_PRECONDITION,
        details: /instance i-00000000000000aa allows 2 attached volumes and 2 are taken/,
      },
    );
  });

  test("no flags and no cloud is FailedPrecondition", async () => {
    await assert.rejects(nodeInfo({}), {
      code: status.FAILED_PRECONDITION,
      details: /node identity incomplete/,
    });
  });
});

describe("NodeGetCapabilities", () => {
  test("advertises exactly what the node implements", async () => {
    const service = await createNodeService({
      exec: recordingExec(),
      logger: createLogger("silent"),
      metrics: new Metrics({ defaultMetrics: false }),
      udevadmPath: null,
      stateDir: UNUSED_STATE_DIR,
      identity: {},
    });
    const response = await invoke<unknown, { capabilities: { type?: { value: { type: number } } }[] }>(
      createNodeHandlers(service).nodeGetCapabilities,
      {},
    );
    assert.deepEqual(
      response.capabilities.map((capability) => capability.type?.value.type),
      [1, 2, 3, 4, 5],
    );
  });
});
