import { SnapshotCaptures } from "../../src/cloud-sim/engine/snapshot-captures.js";
import type { WriteHold } from "../../src/cloud-sim/engine/write-hold.js";
import type { VolumeFiles } from "../../src/cloud-sim/volume-files.js";

/**
 * Snapshot captures that record the order of holds, copies and releases. A hold is granted (or
 * fails, with `holdFails`) and a volume's copy ends only when the test says so, so a test can look
 * at the order between any two steps.
 */
export function recordingCaptures(options: { holdFails?: boolean } = {}) {
  const events: string[] = [];
  let grantHold: () => void = () => undefined;
  const copies = new Map<string, () => void>();
  const files = {
    capture: (volumeId: string) => {
      events.push(`copy ${volumeId}`);
      return new Promise<void>((resolve) => copies.set(volumeId, resolve));
    },
    remove: async () => undefined,
    // Only a volume's file is there: a capture redone after a restart finds no snapshot image yet.
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
    /** Ends the copy of the volume's data, if it has started. */
    endCopy: (volumeId: string) => copies.get(volumeId)?.(),
  };
}

/** Lets the captures' promise chains move on by one turn of the event loop. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));
