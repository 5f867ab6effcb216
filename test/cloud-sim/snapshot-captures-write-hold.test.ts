import assert from "node:assert/strict";
import { test } from "node:test";
import { SnapshotCaptures } from "../../src/cloud-sim/engine/snapshot-captures.js";
import type { WriteHold } from "../../src/cloud-sim/engine/write-hold.js";
import type { CloudState, SnapshotRecord } from "../../src/cloud-sim/state.js";
import { emptyState } from "../../src/cloud-sim/state.js";
import type { VolumeFiles } from "../../src/cloud-sim/volume-files.js";

function snapshotOf(sourceVolumeId: string): SnapshotRecord {
  return {
    id: "snap-a",
    name: "nightly",
    sourceVolumeId,
    sizeBytes: 1,
    status: "pending",
    readyToUse: false,
    encrypted: false,
    tags: {},
    createdAt: "2026-12-05T00:00:00.000Z",
    seq: 1,
    createOperationId: "op-0000000000000001",
  };
}

/** Records the order of holds, copies and releases; holds and copies end when the test says so. */
function recordingParts(options: { holdFails?: boolean } = {}) {
  const events: string[] = [];
  let grantHold: () => void = () => undefined;
  let endCopy: () => void = () => undefined;
  const files = {
    capture: (volumeId: string) => {
      events.push(`copy ${volumeId}`);
      return new Promise<void>((resolve) => {
        endCopy = resolve;
      });
    },
    remove: async () => undefined,
    exists: async (path: string) => path.startsWith("/data/volumes/"),
    snapshotFiles: async () => [],
    snapshotPath: (id: string) => `/data/snapshots/${id}.img`,
    partialSnapshotPath: (id: string) => `/data/snapshots/${id}.img.partial`,
    volumePath: (id: string) => `/data/volumes/${id}.img`,
  } as unknown as VolumeFiles;
  const writes: WriteHold = {
    hold: (volumeIds) =>
      new Promise((resolve, reject) => {
        events.push(`hold ${volumeIds.join(" ")}`);
        grantHold = () =>
          options.holdFails
            ? reject(new Error("fsfreeze: not supported"))
            : resolve(async () => {
                events.push("release");
              });
      }),
  };
  return {
    captures: new SnapshotCaptures(files, undefined, writes),
    events,
    grantHold: () => grantHold(),
    endCopy: () => endCopy(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("a snapshot's copy starts once writes to its volume are held, and the hold ends after the copy", async () => {
  const { captures, events, grantHold, endCopy } = recordingParts();
  const snapshot = snapshotOf("vol-a");
  captures.start(snapshot);
  await tick();
  assert.deepEqual(events, ["hold vol-a"]);
  grantHold();
  await tick();
  assert.deepEqual(events, ["hold vol-a", "copy vol-a"]);
  endCopy();
  await captures.settled(snapshot.id);
  await tick();
  assert.deepEqual(events, ["hold vol-a", "copy vol-a", "release"]);
});

test("a hold that fails fails the snapshot's capture without copying", async () => {
  const { captures, events, grantHold } = recordingParts({ holdFails: true });
  const snapshot = snapshotOf("vol-a");
  captures.start(snapshot);
  grantHold();
  await assert.rejects(captures.complete(snapshot), /fsfreeze: not supported/);
  assert.deepEqual(events, ["hold vol-a"]);
});

test("a snapshot's copy redone after a restart is taken with writes to its volume held", async () => {
  const { captures, events, grantHold, endCopy } = recordingParts();
  const snapshot = snapshotOf("vol-a");
  const state: CloudState = { ...emptyState(), snapshots: { [snapshot.id]: snapshot } };
  await captures.resume(state);
  grantHold();
  await tick();
  endCopy();
  await captures.settled(snapshot.id);
  await tick();
  assert.deepEqual(events, ["hold vol-a", "copy vol-a", "release"]);
});
