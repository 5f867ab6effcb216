import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  type ControllerPublishVolumeRequest,
  CreateVolumeRequest,
  VolumeCapability_AccessMode_Mode as Mode,
  type Volume,
} from "../../src/generated/csi.js";
import {
  blockCapability,
  codeOf,
  type Harness,
  mountCapability,
  rpc,
  startHarness,
  takeApiCalls,
} from "./controller-harness.js";

const ZONE_KEY = "topology.block.csi.ballast.dev/zone";

describe("ControllerPublishVolume and ControllerUnpublishVolume against the reference cloud", () => {
  let h: Harness;
  let nodeB: string;
  let nodeC: string;
  before(async () => {
    h = await startHarness();
    nodeB = h.remoteInstances.get("ref-1b") ?? "";
    nodeC = h.remoteInstances.get("ref-1c") ?? "";
  });
  after(async () => {
    await h.close();
  });

  /** Volume contexts CreateVolume answered, passed on by `publish` as the external-attacher does. */
  const contexts = new Map<string, Record<string, string>>();

  async function volumeIn(zone: string, name: string, type = "balanced", mode = Mode.SINGLE_NODE_WRITER) {
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name,
        parameters: { type },
        volumeCapabilities: [blockCapability(mode)],
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: zone } }], preferred: [] },
      }),
    );
    contexts.set(volume?.volumeId ?? "", volume?.volumeContext ?? {});
    return volume?.volumeId ?? "";
  }

  const publish = (request: Partial<ControllerPublishVolumeRequest>) =>
    rpc(h.controller, h.controller.controllerPublishVolume, {
      volumeId: "",
      nodeId: "",
      volumeCapability: mountCapability(),
      readonly: false,
      secrets: {},
      volumeContext: contexts.get(request.volumeId ?? "") ?? {},
      ...request,
    });

  /** API calls other than operation polls, whose number follows timing. */
  async function callsBesidePolls(): Promise<Record<string, number>> {
    const { getOperation: _polls, ...calls } = await takeApiCalls(h);
    return calls;
  }
  const unpublish = (volumeId: string, nodeId: string) =>
    rpc(h.controller, h.controller.controllerUnpublishVolume, { volumeId, nodeId, secrets: {} });

  test("publish returns the device serial and by-id path", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-basic");
    const response = await publish({ volumeId, nodeId: nodeB });
    assert.equal(response.publishContext.serial, volumeId);
    assert.match(response.publishContext.byIdPath ?? "", new RegExp(`/virtio-${volumeId}$`));
  });

  test("publish to the node it is already on answers the same context", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-again");
    const first = await publish({ volumeId, nodeId: nodeB });
    const second = await publish({ volumeId, nodeId: nodeB });
    assert.deepEqual(second.publishContext, first.publishContext);
  });

  test("publish again with a different readonly flag is AlreadyExists", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-ro-flip");
    await publish({ volumeId, nodeId: nodeB });
    assert.equal(await codeOf(publish({ volumeId, nodeId: nodeB, readonly: true })), status.ALREADY_EXISTS);
  });

  test("publish to a second node of a single-node volume is FailedPrecondition naming the first", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-elsewhere");
    await publish({ volumeId, nodeId: nodeB });
    await assert.rejects(
      publish({
        volumeId,
        nodeId: nodeC,
      }),
      (error: { code: number; details: string }) =>
        error.code === status.FAILED_PRECONDITION && error.details.includes(nodeB),
    );
  });

  test("publish of a volume whose context names a single-attach tier makes one attach and no reads", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-cost");
    await takeApiCalls(h);
    await publish({ volumeId, nodeId: nodeB });
    assert.deepEqual(await callsBesidePolls(), { attachVolume: 1 });
  });

  test("publish of a volume without a tier in its context reads the volume once before attaching", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-no-hint");
    await takeApiCalls(h);
    const response = await publish({ volumeId, nodeId: nodeB, volumeContext: {} });
    assert.equal(response.publishContext.serial, volumeId);
    assert.deepEqual(await callsBesidePolls(), { getVolume: 1, attachVolume: 1 });
  });

  test("publish of an unknown volume whose context names a tier is NotFound naming the volume", async () => {
    await assert.rejects(
      publish({ volumeId: "vol-00000000feedbeef", nodeId: nodeB, volumeContext: { volumeType: "balanced" } }),
      (error: { code: number; details: string }) =>
        error.code === status.NOT_FOUND && error.details.includes("volume_id: volume vol-00000000feedbeef"),
    );
  });

  test("publish of an unknown volume is NotFound", async () => {
    assert.equal(
      await codeOf(publish({ volumeId: "vol-00000000deadbeef", nodeId: nodeB })),
      status.NOT_FOUND,
    );
  });

  test("publish to an unknown node is NotFound naming the node", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-nonode");
    await assert.rejects(
      publish({ volumeId, nodeId: "i-00000000deadbeef" }),
      (error: { code: number; details: string }) =>
        error.code === status.NOT_FOUND && error.details.includes("node_id: node i-00000000deadbeef"),
    );
  });

  test("publish to a node id of a shape the cloud never issues is NotFound naming the node", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-badnode");
    await assert.rejects(
      publish({ volumeId, nodeId: "node-b" }),
      (error: { code: number; details: string }) =>
        error.code === status.NOT_FOUND && error.details.includes("node_id: node node-b"),
    );
  });

  test("publish without a node id is InvalidArgument", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-noid");
    assert.equal(await codeOf(publish({ volumeId, nodeId: "" })), status.INVALID_ARGUMENT);
  });

  test("publish without a capability is InvalidArgument", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-nocap");
    assert.equal(
      await codeOf(publish({ volumeId, nodeId: nodeB, volumeCapability: undefined })),
      status.INVALID_ARGUMENT,
    );
  });

  test("publish to a node in another zone is FailedPrecondition naming both zones", async () => {
    const volumeId = await volumeIn("ref-1b", "pub-zone");
    await assert.rejects(
      publish({ volumeId, nodeId: nodeC }),
      (error: { code: number; details: string }) =>
        error.code === status.FAILED_PRECONDITION &&
        error.details.includes("in zone ref-1b") &&
        error.details.includes("in zone ref-1c"),
    );
  });

  test("unpublish detaches and ControllerGetVolume shows no node", async () => {
    const volumeId = await volumeIn("ref-1b", "unpub");
    await publish({ volumeId, nodeId: nodeB });
    await unpublish(volumeId, nodeB);
    const got = await rpc(h.controller, h.controller.controllerGetVolume, { volumeId });
    assert.deepEqual(got.status?.publishedNodeIds, []);
  });

  test("unpublish of a volume that is not attached is OK", async () => {
    const volumeId = await volumeIn("ref-1b", "unpub-twice");
    await unpublish(volumeId, nodeB);
  });

  test("unpublish of an unknown volume is OK", async () => {
    await unpublish("vol-00000000deadbeef", nodeB);
  });

  test("DeleteVolume of an attached volume is FailedPrecondition naming the node", async () => {
    const volumeId = await volumeIn("ref-1b", "del-attached");
    await publish({ volumeId, nodeId: nodeB });
    await assert.rejects(
      rpc(h.controller, h.controller.deleteVolume, { volumeId, secrets: {} }),
      (error: { code: number; details: string }) =>
        error.code === status.FAILED_PRECONDITION && error.details.includes(nodeB),
    );
  });

  test("ListVolumes reports the node a volume is published to", async () => {
    const volumeId = await volumeIn("ref-1b", "list-published");
    await publish({ volumeId, nodeId: nodeB });
    const entries = [];
    let token = "";
    do {
      const page = await rpc(h.controller, h.controller.listVolumes, { maxEntries: 0, startingToken: token });
      entries.push(...page.entries);
      token = page.nextToken;
    } while (token !== "");
    const entry = entries.find((e) => e.volume?.volumeId === volumeId);
    assert.deepEqual(entry?.status?.publishedNodeIds, [nodeB]);
  });
});

describe("ControllerPublishVolume with custom instances", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      cloud: {
        instances: [
          { name: "local", zone: "ref-1a", maxAttachedVolumes: 4, local: true },
          { name: "small", zone: "ref-1b", maxAttachedVolumes: 1 },
          { name: "small-2", zone: "ref-1a", maxAttachedVolumes: 1 },
          { name: "reader-1", zone: "ref-1c", maxAttachedVolumes: 8 },
          { name: "reader-2", zone: "ref-1c", maxAttachedVolumes: 8 },
        ],
      },
    });
  });
  after(async () => {
    await h.close();
  });

  test("publishing beyond the limit is ResourceExhausted", async () => {
    const node = h.remoteInstances.get("ref-1b") ?? "";
    const ids: string[] = [];
    for (const name of ["limit-1", "limit-2"]) {
      const { volume } = await rpc(
        h.controller,
        h.controller.createVolume,
        CreateVolumeRequest.fromPartial({
          name,
          volumeCapabilities: [mountCapability()],
          accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1b" } }], preferred: [] },
        }),
      );
      ids.push(volume?.volumeId ?? "");
    }
    const request = {
      nodeId: node,
      volumeCapability: mountCapability(),
      readonly: false,
      secrets: {},
      volumeContext: {},
    };
    await rpc(h.controller, h.controller.controllerPublishVolume, { ...request, volumeId: ids[0] ?? "" });
    const code = await codeOf(
      rpc(h.controller, h.controller.controllerPublishVolume, { ...request, volumeId: ids[1] ?? "" }),
    );
    assert.equal(code, status.RESOURCE_EXHAUSTED);
  });

  test("publishing beyond the limit with the tier in the volume context is ResourceExhausted naming the node", async () => {
    const node = (await h.api.findInstanceByName("small-2", { deadline: Date.now() + 5000 }))?.id ?? "";
    const volumes: (Volume | undefined)[] = [];
    for (const name of ["hinted-limit-1", "hinted-limit-2"]) {
      const { volume } = await rpc(
        h.controller,
        h.controller.createVolume,
        CreateVolumeRequest.fromPartial({
          name,
          volumeCapabilities: [mountCapability()],
          accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1a" } }], preferred: [] },
        }),
      );
      volumes.push(volume);
    }
    const publishTo = (index: number) =>
      rpc(h.controller, h.controller.controllerPublishVolume, {
        volumeId: volumes[index]?.volumeId ?? "",
        nodeId: node,
        volumeCapability: mountCapability(),
        readonly: false,
        secrets: {},
        volumeContext: volumes[index]?.volumeContext ?? {},
      });
    await publishTo(0);
    await assert.rejects(
      publishTo(1),
      (error: { code: number; details: string }) =>
        error.code === status.RESOURCE_EXHAUSTED &&
        error.details === `node ${node} already has 1 of 1 volumes attached`,
    );
  });

  test("a SINGLE_NODE_WRITER volume of the multi-attach tier on one node is FailedPrecondition on a second", async () => {
    const deadline = { deadline: Date.now() + 5000 };
    const readers = await Promise.all(
      ["reader-1", "reader-2"].map((n) => h.api.findInstanceByName(n, deadline)),
    );
    const capability = blockCapability(Mode.SINGLE_NODE_WRITER);
    const { volume } = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name: "multi-tier-single-writer",
        parameters: { type: "performance" },
        volumeCapabilities: [capability],
        accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1c" } }], preferred: [] },
      }),
    );
    const publishTo = (nodeId: string) =>
      rpc(h.controller, h.controller.controllerPublishVolume, {
        volumeId: volume?.volumeId ?? "",
        nodeId,
        volumeCapability: capability,
        readonly: false,
        secrets: {},
        volumeContext: volume?.volumeContext ?? {},
      });
    await publishTo(readers[0]?.id ?? "");
    await assert.rejects(
      publishTo(readers[1]?.id ?? ""),
      (error: { code: number; details: string }) =>
        error.code === status.FAILED_PRECONDITION && error.details.includes(readers[0]?.id ?? "-"),
    );
    const got = await rpc(h.controller, h.controller.controllerGetVolume, {
      volumeId: volume?.volumeId ?? "",
    });
    assert.deepEqual(got.status?.publishedNodeIds, [readers[0]?.id]);
  });

  for (const readonly of [true, false]) {
    test(`a MULTI_NODE_READER_ONLY volume published with readonly ${readonly} attaches read-only to two nodes`, async () => {
      const deadline = { deadline: Date.now() + 5000 };
      const readers = await Promise.all(
        ["reader-1", "reader-2"].map((n) => h.api.findInstanceByName(n, deadline)),
      );
      const capability = blockCapability(Mode.MULTI_NODE_READER_ONLY);
      const { volume } = await rpc(
        h.controller,
        h.controller.createVolume,
        CreateVolumeRequest.fromPartial({
          name: `multi-reader-${readonly}`,
          parameters: { type: "performance" },
          volumeCapabilities: [capability],
          accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: "ref-1c" } }], preferred: [] },
        }),
      );
      const volumeId = volume?.volumeId ?? "";
      for (const reader of readers) {
        await rpc(h.controller, h.controller.controllerPublishVolume, {
          volumeId,
          nodeId: reader?.id ?? "",
          volumeCapability: capability,
          readonly,
          secrets: {},
          volumeContext: {},
        });
      }
      const got = await rpc(h.controller, h.controller.controllerGetVolume, { volumeId });
      assert.deepEqual(got.status?.publishedNodeIds.sort(), readers.map((r) => r?.id ?? "").sort());
      const stored = await h.api.getVolume(volumeId, { deadline: Date.now() + 5000 });
      assert.deepEqual(
        stored.attachments.map((a) => [a.instanceId, a.readOnly]).sort(),
        readers.map((r) => [r?.id ?? "", true]).sort(),
      );
    });
  }
});
