import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { ControllerCapability, requireController } from "./capabilities.js";
import { forEachFace } from "./faces.js";
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

forEachFace("ListVolumes, ListSnapshots and GetCapacity over the dev socket", (face) => {
  const system = useDevSystem({ face });
  const {
    LIST_VOLUMES,
    LIST_VOLUMES_PUBLISHED_NODES,
    PUBLISH_UNPUBLISH_VOLUME,
    CREATE_DELETE_SNAPSHOT,
    LIST_SNAPSHOTS,
    GET_CAPACITY,
  } = ControllerCapability;

  test("ListVolumes pages with max_entries, each page within the limit, until the token is exhausted", async (t) => {
    if (!(await requireController(t, system(), LIST_VOLUMES))) return;
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

  test("ListVolumes keeps paging after the last volume of a page is deleted and a volume is added", async (t) => {
    if (!(await requireController(t, system(), LIST_VOLUMES))) return;
    // csi-sanity's "pagination should detect volumes added between pages and accept tokens when
    // the last volume from a page is deleted".
    const cleanup = Cleanup.for(t, system());
    const newVolume = async () => {
      const { volume } = await system().csi.controller.createVolume({
        name: uniqueName("paging"),
        volumeCapabilities: [mountCapability()],
      });
      assert.ok(volume);
      return cleanup.volume(volume.volumeId);
    };
    for (let index = 0; index < 3; index += 1) await newVolume();
    const first = await system().csi.controller.listVolumes({ maxEntries: PAGE_SIZE });
    assert.equal(first.entries.length, PAGE_SIZE);
    assert.notEqual(first.nextToken, "");
    const deleted = first.entries.at(-1)?.volume?.volumeId;
    assert.ok(deleted);
    await system().csi.controller.deleteVolume({ volumeId: deleted });
    const added = await newVolume();
    const seen = first.entries.map((entry) => entry.volume?.volumeId ?? "");
    let startingToken = first.nextToken;
    while (startingToken !== "") {
      const page = await system().csi.controller.listVolumes({ maxEntries: PAGE_SIZE, startingToken });
      seen.push(...page.entries.map((entry) => entry.volume?.volumeId ?? ""));
      startingToken = page.nextToken;
      assert.ok(seen.length <= 1000, "ListVolumes keeps answering a next_token");
    }
    const everything: string[] = [];
    do {
      const page = await system().csi.controller.listVolumes({ startingToken });
      everything.push(...page.entries.map((entry) => entry.volume?.volumeId ?? ""));
      startingToken = page.nextToken;
    } while (startingToken !== "");
    assert.ok(everything.includes(added), `the added volume ${added} is listed`);
    assert.ok(!everything.includes(deleted), `the deleted volume ${deleted} is not listed`);
    assert.equal(new Set(seen).size, seen.length, "no volume is listed twice across the pages");
  });

  test("ListVolumes with a starting_token it never issued is Aborted", async (t) => {
    if (!(await requireController(t, system(), LIST_VOLUMES))) return;
    await expectCode(
      system().csi.controller.listVolumes({ maxEntries: 1, startingToken: "not-a-token-we-issued" }),
      status.ABORTED,
    );
  });

  test("ListVolumes with a negative max_entries is InvalidArgument", async (t) => {
    if (!(await requireController(t, system(), LIST_VOLUMES))) return;
    await expectCode(system().csi.controller.listVolumes({ maxEntries: -1 }), status.INVALID_ARGUMENT);
  });

  test("ListVolumes reports the node a volume is published to", async (t) => {
    if (
      !(await requireController(
        t,
        system(),
        LIST_VOLUMES,
        LIST_VOLUMES_PUBLISHED_NODES,
        PUBLISH_UNPUBLISH_VOLUME,
      ))
    )
      return;
    const cleanup = Cleanup.for(t, system());
    const local = await system().csi.node.nodeGetInfo();
    const instance = (await system().view.instances()).find((candidate) => candidate.id !== local.nodeId);
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
    if (!(await requireController(t, system(), CREATE_DELETE_SNAPSHOT, LIST_SNAPSHOTS))) return;
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
    if (!(await requireController(t, system(), CREATE_DELETE_SNAPSHOT, LIST_SNAPSHOTS))) return;
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

  test("ListSnapshots without filters pages through every snapshot, a new one included", async (t) => {
    if (!(await requireController(t, system(), CREATE_DELETE_SNAPSHOT, LIST_SNAPSHOTS))) return;
    const cleanup = Cleanup.for(t, system());
    const { volume } = await system().csi.controller.createVolume({
      name: uniqueName("snapall"),
      volumeCapabilities: [mountCapability()],
    });
    assert.ok(volume);
    cleanup.volume(volume.volumeId);
    const snapshots = [];
    for (let index = 0; index < 3; index += 1) {
      snapshots.push(await readySnapshot(system(), cleanup, uniqueName("snapall"), volume.volumeId));
    }
    const seen: string[] = [];
    let startingToken = "";
    do {
      const page = await system().csi.controller.listSnapshots({ maxEntries: PAGE_SIZE, startingToken });
      assert.ok(page.entries.length <= PAGE_SIZE);
      seen.push(...page.entries.map((entry) => entry.snapshot?.snapshotId ?? ""));
      startingToken = page.nextToken;
      assert.ok(seen.length <= 1000, "ListSnapshots keeps answering a next_token");
    } while (startingToken !== "");
    for (const snapshot of snapshots)
      assert.ok(seen.includes(snapshot.snapshotId), `${snapshot.snapshotId} is listed`);
    assert.equal(new Set(seen).size, seen.length, "no snapshot is listed twice");
  });

  test("ListSnapshots with a starting_token it never issued is Aborted", async (t) => {
    if (!(await requireController(t, system(), LIST_SNAPSHOTS))) return;
    await expectCode(
      system().csi.controller.listSnapshots({ maxEntries: 1, startingToken: "not-a-token-we-issued" }),
      status.ABORTED,
    );
  });

  test("GetCapacity for the node's zone reports available bytes", async (t) => {
    if (!(await requireController(t, system(), GET_CAPACITY))) return;
    const info = await system().csi.node.nodeGetInfo();
    const zone = info.accessibleTopology?.segments[ZONE_KEY];
    assert.ok(zone);
    const capacity = await system().csi.controller.getCapacity({
      volumeCapabilities: [mountCapability()],
      accessibleTopology: { segments: { [ZONE_KEY]: zone } },
    });
    assert.ok(capacity.availableCapacity > 0n);
  });

  test("GetCapacity with an unknown parameter is InvalidArgument", async (t) => {
    if (!(await requireController(t, system(), GET_CAPACITY))) return;
    await expectCode(
      system().csi.controller.getCapacity({
        volumeCapabilities: [mountCapability()],
        parameters: { notAParameter: "x" },
      }),
      status.INVALID_ARGUMENT,
    );
  });
});
