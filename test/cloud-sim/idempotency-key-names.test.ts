import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type ReferenceCloud, startReferenceCloud } from "../../src/cloud-sim/index.js";
import { type Operation, sharedContract, startTestCloud, uniqueName, wrap } from "./harness.js";

/** Names every plain JavaScript object answers to without having been given them. */
const OBJECT_PROPERTY_NAMES = ["constructor", "toString", "hasOwnProperty", "__proto__"];

test("an Idempotency-Key named like a property of every object is a fresh key", async (t) => {
  const c = await startTestCloud(t, { localAttach: false });
  for (const key of OBJECT_PROPERTY_NAMES) {
    const body = { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 };
    const first = await c.call<Operation>("POST", "/v1/volumes", body, { "Idempotency-Key": key });
    const replay = await c.call<Operation>("POST", "/v1/volumes", body, { "Idempotency-Key": key });
    assert.equal(first.status, 202, `${key}: ${JSON.stringify(first.body)}`);
    assert.equal(replay.status, 202, `${key}: ${JSON.stringify(replay.body)}`);
    assert.equal(replay.body.id, first.body.id);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
  }
});

test("an Idempotency-Key named __proto__ is remembered across a restart", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-keys-"));
  let running: ReferenceCloud | undefined;
  t.after(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const start = async () => {
    const config = { dataDir: join(dir, "data"), localAttach: false, operationLatencyMs: 10 };
    running = await startReferenceCloud(config, { contract: sharedContract() });
    return wrap(running, dir);
  };
  const body = { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 };
  const key = { "Idempotency-Key": "__proto__" };
  const before = await start();
  const first = await before.call<Operation>("POST", "/v1/volumes", body, key);
  await before.cloud.close();

  const after = await start();
  const replay = await after.call<Operation>("POST", "/v1/volumes", body, key);
  assert.equal(first.status, 202);
  assert.equal(replay.status, 202);
  assert.equal(replay.body.id, first.body.id);
  assert.equal(replay.headers.get("idempotent-replayed"), "true");
});
