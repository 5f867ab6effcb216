import assert from "node:assert/strict";
import { type ReferenceCloudConfig, resolveConfig } from "../../src/cloud-sim/config.js";
import {
  CloudEngine,
  type CloudEngineDependencies,
  SnapshotCaptures,
} from "../../src/cloud-sim/engine/index.js";
import type { LoopDevices } from "../../src/cloud-sim/loop-devices.js";
import { OperationRunner } from "../../src/cloud-sim/operation-runner.js";
import { type CloudState, emptyState, type OperationRecord } from "../../src/cloud-sim/state.js";
import type { VolumeFiles } from "../../src/cloud-sim/volume-files.js";

/*
 * The cloud's engine and operation runner built by hand, as startReferenceCloud builds them but
 * with no local instance, loop devices or server, so a test can hold the clock and the work.
 */

/** A runner over `state` whose files are the test's stubs; no instance is local, so no loop device is touched. */
export function bareRunner(state: CloudState, files: VolumeFiles, now?: () => number): OperationRunner {
  return new OperationRunner({
    state,
    save: async () => {},
    files,
    loops: {} as LoopDevices,
    captures: new SnapshotCaptures(files),
    isLocal: () => false,
    now,
  });
}

/**
 * An engine over `state` that attaches nothing here and captures no data. Its accepted work is
 * never run unless `overrides.schedule` runs it, so a test sees what the engine accepts and when.
 */
export function bareEngine(
  state: CloudState,
  config: Partial<ReferenceCloudConfig> = {},
  overrides: Partial<CloudEngineDependencies> = {},
): CloudEngine {
  return new CloudEngine({
    config: resolveConfig({ dataDir: "/nonexistent", localAttach: false, ...config }),
    state,
    save: async () => {},
    schedule: () => undefined,
    localAttach: () => ({ available: false, reason: "not in this test" }),
    byIdPath: (serial) => `/nonexistent/by-id/${serial}`,
    captures: { start: () => undefined, startGroup: () => undefined, settled: async () => undefined },
    ...overrides,
  });
}

/** Yields to the event loop until the runner has finished the operation's work. */
export async function untilFinished(operation: OperationRecord): Promise<OperationRecord> {
  while (operation.status === "running") await new Promise((resolve) => setImmediate(resolve));
  return operation;
}

/** The cloud's rules and its operation runner on a hand-moved clock, with files that cost nothing. */
export function cloudOnAClock() {
  const clock = { now: 1_000_000 };
  const now = () => clock.now;
  const state = emptyState();
  const files = {
    volumePath: (volumeId: string) => `/nonexistent/volumes/${volumeId}.img`,
    snapshotPath: (snapshotId: string) => `/nonexistent/snapshots/${snapshotId}.img`,
    partialSnapshotPath: (snapshotId: string) => `/nonexistent/snapshots/${snapshotId}.img.partial`,
    createEmpty: async () => {},
    exists: async () => true,
    remove: async () => {},
  } as unknown as VolumeFiles;
  const runner = bareRunner(state, files, now);
  const engine = bareEngine(
    state,
    { operationLatencyMs: 0 },
    { schedule: (operation) => runner.schedule(operation), now },
  );
  /** Waits for an accepted operation's work, which must succeed. */
  const finished = async (accepted: Promise<{ operation: OperationRecord }>): Promise<OperationRecord> => {
    const { operation } = await accepted;
    assert.equal((await untilFinished(operation)).status, "succeeded");
    return operation;
  };
  return { clock, engine, runner, finished };
}
