import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  Cleanup,
  expectCode,
  inZone,
  mountCapability,
  readySnapshot,
  uniqueName,
  ZONE_KEY,
} from "./fixtures.js";
import { useDevSystem } from "./harness.js";

const PAGE_SIZE = 2;
const CREATED = 5;

describe("ListVolumes, ListSnapshots and GetCapacity over the dev socket", () => {
  const system = useDevSystem();

  test("ListVolumes pages with max_entries, each page within the limit, until the token is exhausted", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const created = await Promise.all(
      Array.from({ length: CREATED }, async () => {
        const { volume } = await system().csi.controller.createVolume({
          name: uniqueName("list"),
          volumeCapabilities: [mountCapability()],
        });
        assert.ok(volume);
        return cleanup.volume(volume.volumeId);
      }),
    );
    const seen: string[] = [];
    let startingToken = "";
    let pages = 0;
    do {
      const page = await system().csi.controller.listVolumes({ maxEntries: PAGE_SIZE, startingToken });
      assert.ok(page.entries.length <= PAGE_SIZE, `page ${pages} has ${page.entries.length} entries`);
      seen.push(...page.entries.map((entry) => entry.volume?.volumeId ?? ""));
      startingToken = page.nextToken;
      pages += 1;
      assert.ok(pages <= 1000, "ListVolumes keeps answering a next_token");
    } while (startingToken !== "");
    for (const volumeId of created) assert.ok(seen.includes(volumeId), `${volumeId} was listed`);
    assert.equal(new Set(seen).size, seen.length, "no volume is listed twice");
  });

  test("ListVolumes with a starting_token it never issued is Aborted", async () => {
    await expectCode(
      system().csi.controller.listVolumes({ maxEntries: 1, startingToken: "not-a-token-we-issued" }),
      status.ABORTED,
    );
  });

  test("ListVolumes with a negative max_entries is InvalidArgument", async () => {
    await expectCode(system().csi.controller.listVolumes({ maxEntries: -1 }), status.INVALID_ARGUMENT);
  });

  test("ListVolumes reports the node a volume is published to", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const local = await system().csi.node.nodeGetInfo();
    const instance = (await system().cloud.instances()).find((candidate) => candidate.id !== local.nodeId);
    assert.ok(instance);
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("published"),
      volumeCapabilities: [mountCapability()],
      accessibilityRequirements: inZone(instance.zone),
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    cleanup.controllerPublish(volume.volumeId, instance.id);
    await system().csi.controller.controllerPublishVolume({
      volumeId: volume.volumeId,
      nodeId: instance.id,
      volumeCapability: mountCapability(),
    });
    const entries = [];
    let startingToken = "";
    do {
      const page = await system().csi.controller.listVolumes({ startingToken });
      entries.push(...page.entries);
      startingToken = page.nextToken;
    } while (startingToken !== "");
    const entry = entries.find((candidate) => candidate.volume?.volumeId === volume.volumeId);
    assert.deepEqual(entry?.status?.publishedNodeIds, [instance.id]);
  });

  test("ListSnapshots pages until exhausted and filters by source volume", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("snaplist"),
      volumeCapabilities: [mountCapability()],
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    const snapshotIds = [];
    // The cloud cuts one snapshot of a volume at a time, so each is awaited before the next.
    for (let index = 0; index < 3; index += 1) {
      const snapshot = await readySnapshot(system(), cleanup, uniqueName("snaplist"), volume.volumeId);
      snapshotIds.push(snapshot.snapshotId);
    }
    const seen: string[] = [];
    let startingToken = "";
    do {
      const page = await system().csi.controller.listSnapshots({
        maxEntries: PAGE_SIZE,
        startingToken,
        sourceVolumeId: volume.volumeId,
      });
      assert.ok(page.entries.length <= PAGE_SIZE);
      seen.push(...page.entries.map((entry) => entry.snapshot?.snapshotId ?? ""));
      startingToken = page.nextToken;
    } while (startingToken !== "");
    assert.deepEqual([...seen].sort(), [...snapshotIds].sort());
  });

  test("ListSnapshots by snapshot id answers exactly that snapshot", async (t) => {
    const cleanup = Cleanup.for(t, system());
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("snapone"),
      volumeCapabilities: [mountCapability()],
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    const snapshot = await readySnapshot(system(), cleanup, uniqueName("snapone"), volume.volumeId);
    const page = await system().csi.controller.listSnapshots({ snapshotId: snapshot.snapshotId });
    assert.deepEqual(
      page.entries.map((entry) => entry.snapshot?.snapshotId),
      [snapshot.snapshotId],
    );
  });

  test("ListSnapshots with a starting_token it never issued is Aborted", async () => {
    await expectCode(
      system().csi.controller.listSnapshots({ maxEntries: 1, startingToken: "not-a-token-we-issued" }),
      status.ABORTED,
    );
  });

  test("GetCapacity for the node's zone reports available bytes", async () => {
    const info = await system().csi.node.nodeGetInfo();
    const zone = info.accessibleTopology?.segments[ZONE_KEY];
    assert.ok(zone);
    const capacity = await system().csi.controller.getCapacity({
      volumeCapabilities: [mountCapability()],
      accessibleTopology: { segments: { [ZONE_KEY]: zone } },
    });
    assert.ok(capacity.availableCapacity > 0n);
  });

  test("GetCapacity with an unknown parameter is InvalidArgument", async () => {
    await expectCode(
      system().csi.controller.getCapacity({
        volumeCapabilities: [mountCapability()],
        parameters: { notAParameter: "x" },
      }),
      status.INVALID_ARGUMENT,
    );
  });
});
