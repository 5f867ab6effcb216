import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RequestLog } from "../../src/cloud-sim/request-log.js";
import { emptyState } from "../../src/cloud-sim/state.js";
import { StateFile } from "../../src/cloud-sim/state-file.js";

test("a state write tells its bytes, as on disk, and the time from serialising to the synced rename", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-state-file-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const writes: [number, number][] = [];
  const clock = [10, 14.5];
  const file = new StateFile(
    StateFile.pathIn(dir),
    () => emptyState(),
    (bytes, durationMs) => writes.push([bytes, durationMs]),
    () => clock.shift() ?? Number.NaN,
  );
  await file.save();
  const onDisk = (await stat(StateFile.pathIn(dir))).size;
  assert.deepEqual(writes, [[onDisk, 4.5]]);
});

test("the request log sums the state writes until it is reset", () => {
  const log = new RequestLog();
  log.recordStateWrite(1200, 3.25);
  log.recordStateWrite(1300, 4.5);
  assert.deepEqual(log.read().stateWrites, { count: 2, bytes: 2500, durationMs: 7.75 });
  assert.deepEqual(log.read("createVolume").stateWrites, { count: 2, bytes: 2500, durationMs: 7.75 });
  log.reset();
  assert.deepEqual(log.read().stateWrites, { count: 0, bytes: 0, durationMs: 0 });
});
