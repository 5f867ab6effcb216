import assert from "node:assert/strict";
import { test } from "node:test";
import type { SnapshotRecord } from "../../src/cloud-sim/state.js";
import { recordingCaptures, tick } from "./recording-captures.js";

function member(id: string, sourceVolumeId: string): SnapshotRecord {
  return {
    id,
    name: `sg-0000000000000001.${sourceVolumeId}`,
    sourceVolumeId,
    sizeBytes: 1,
    status: "pending",
    readyToUse: false,
    encrypted: false,
    groupId: "sg-0000000000000001",
    tags: {},
    createdAt: "2026-12-05T00:00:00.000Z",
    seq: 1,
    createOperationId: "op-0000000000000001",
  };
}

test("a group's copies start once writes to every member are held, and the hold ends after the last copy", async () => {
  const { captures, events, grantHold, endCopy } = recordingCaptures();
  const members = [member("snap-a", "vol-a"), member("snap-b", "vol-b")];
  captures.startGroup(members);
  await tick();
  assert.deepEqual(events, ["hold vol-a vol-b"]);
  grantHold();
  await tick();
  assert.deepEqual(events, ["hold vol-a vol-b", "copy vol-a", "copy vol-b"]);
  endCopy("vol-a");
  await tick();
  assert.deepEqual(events.includes("release"), false);
  endCopy("vol-b");
  await captures.settled("snap-b");
  await tick();
  assert.deepEqual(events, ["hold vol-a vol-b", "copy vol-a", "copy vol-b", "release"]);
});

test("a hold that fails fails every member's capture without copying", async () => {
  const { captures, events, grantHold } = recordingCaptures({ holdFails: true });
  const members = [member("snap-a", "vol-a"), member("snap-b", "vol-b")];
  captures.startGroup(members);
  grantHold();
  for (const snapshot of members) {
    await assert.rejects(captures.complete(snapshot), /fsfreeze: not supported/);
  }
  assert.deepEqual(events, ["hold vol-a vol-b"]);
});
