import assert from "node:assert/strict";
import { test } from "node:test";
import type { CloudState, SnapshotRecord } from "../../src/cloud-sim/state.js";
import { emptyState } from "../../src/cloud-sim/state.js";
import { recordingCaptures, tick } from "./recording-captures.js";

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

test("a snapshot's copy starts once writes to its volume are held, and the hold ends after the copy", async () => {
  const { captures, events, grantHold, endCopy } = recordingCaptures();
  const snapshot = snapshotOf("vol-a");
  captures.start(snapshot);
  await tick();
  assert.deepEqual(events, ["hold vol-a"]);
  grantHold();
  await tick();
  assert.deepEqual(events, ["hold vol-a", "copy vol-a"]);
  endCopy("vol-a");
  await captures.settled(snapshot.id);
  await tick();
  assert.deepEqual(events, ["hold vol-a", "copy vol-a", "release"]);
});

test("a hold that fails fails the snapshot's capture without copying", async () => {
  const { captures, events, grantHold } = recordingCaptures({ holdFails: true });
  const snapshot = snapshotOf("vol-a");
  captures.start(snapshot);
  grantHold();
  await assert.rejects(captures.complete(snapshot), /fsfreeze: not supported/);
  assert.deepEqual(events, ["hold vol-a"]);
});

test("a snapshot's copy redone after a restart is taken with writes to its volume held", async () => {
  const { captures, events, grantHold, endCopy } = recordingCaptures();
  const snapshot = snapshotOf("vol-a");
  const state: CloudState = { ...emptyState(), snapshots: { [snapshot.id]: snapshot } };
  await captures.resume(state);
  grantHold();
  await tick();
  endCopy("vol-a");
  await captures.settled(snapshot.id);
  await tick();
  assert.deepEqual(events, ["hold vol-a", "copy vol-a", "release"]);
});
