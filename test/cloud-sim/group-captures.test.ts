import assert from "node:assert/strict";
import { test } from "node:test";
import { SnapshotCaptures } from "../../src/cloud-sim/engine/snapshot-captures.js";
import type { WriteHold } from "../../src/cloud-sim/engine/write-hold.js";
import type { SnapshotRecord } from "../../src/cloud-sim/state.js";
import type { VolumeFiles } from "../../src/cloud-sim/volume-files.js";

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

/** Records the order of holds, copies and releases; copies end when the test says so. */
function recordingParts(options: { holdFails?: boolean } = {}) {
  const events: string[] = [];
  let grantHold: () => void = () => undefined;
  const copies = new Map<string, () => void>();
  const files = {
    capture: (volumeId: string) => {
      events.push(`copy ${volumeId}`);
      return new Promise<void>((resolve) => copies.set(volumeId, resolve));
    },
    remove: async () => undefined,
    partialSnapshotPath: (id: string) => `/data/snapshots/${id}.img.partial`,
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
    copies,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("a group's copies start once writes to every member are held, and the hold ends after the last copy", async () => {
  const { captures, events, grantHold, copies } = recordingParts();
  const members = [member("snap-a", "vol-a"), member("snap-b", "vol-b")];
  captures.startGroup(members);
  await tick();
  assert.deepEqual(events, ["hold vol-a vol-b"]);
  grantHold();
  await tick();
  assert.deepEqual(events, ["hold vol-a vol-b", "copy vol-a", "copy vol-b"]);
  copies.get("vol-a")?.();
  await tick();
  assert.deepEqual(events.includes("release"), false);
  copies.get("vol-b")?.();
  await captures.settled("snap-b");
  await tick();
  assert.deepEqual(events, ["hold vol-a vol-b", "copy vol-a", "copy vol-b", "release"]);
});

test("a hold that fails fails every member's capture without copying", async () => {
  const { captures, events, grantHold } = recordingParts({ holdFails: true });
  const members = [member("snap-a", "vol-a"), member("snap-b", "vol-b")];
  captures.startGroup(members);
  grantHold();
  for (const snapshot of members) {
    await assert.rejects(captures.complete(snapshot), /fsfreeze: not supported/);
  }
  assert.deepEqual(events, ["hold vol-a vol-b"]);
});
