import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_TOKEN } from "../../src/cloud-sim/index.js";
import type { components } from "../../src/generated/block-storage.v1.js";
import { killHard, spawnCloud } from "./child-cloud.js";
import { GiB, type Operation, wrap } from "./harness.js";

type Schemas = components["schemas"];

interface Acknowledged {
  key: string;
  body: { name: string; zone: string; sizeGiB: number };
  operationId: string;
  volumeId: string;
}

test("kill -9 in the middle of a workload loses nothing that was acknowledged", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-persist-"));
  const args = [
    "--listen",
    "127.0.0.1:0",
    "--data-dir",
    join(dir, "data"),
    "--by-id-dir",
    join(dir, "by-id"),
  ];
  const children: Awaited<ReturnType<typeof spawnCloud>>[] = [];
  t.after(async () => {
    for (const c of children) await killHard(c.child);
    await rm(dir, { recursive: true, force: true });
  });
  const asClient = (url: string) => wrap({ url, token: DEFAULT_TOKEN } as Parameters<typeof wrap>[0], dir);

  const first = await spawnCloud([...args, "--latency-ms", "300", "--no-local-attach"]);
  children.push(first);
  const before = asClient(first.url);
  const instances = await before.call<Schemas["InstanceList"]>("GET", "/v1/instances?zone=ref-1a");
  const remote = (await before.call<Schemas["InstanceList"]>("GET", "/v1/instances?zone=ref-1b")).body
    .items[0];
  assert.ok(remote !== undefined && instances.body.items.length === 1);
  const base = await before.done("POST", "/v1/volumes", { name: "base", zone: "ref-1b", sizeGiB: 1 });

  const acknowledged: Acknowledged[] = [];
  let answered = 0;
  const creates = Array.from({ length: 40 }, async (_, i) => {
    const body = { name: `pv-${i}`, zone: "ref-1a", sizeGiB: 1 + (i % 3) };
    const key = `create-pv-${i}`;
    try {
      const answer = await before.call<Operation>("POST", "/v1/volumes", body, { "Idempotency-Key": key });
      if (answer.status === 202) {
        acknowledged.push({ key, body, operationId: answer.body.id, volumeId: answer.body.resourceId });
      }
    } catch {
      // the server was killed under this request: it was never acknowledged
    }
    answered += 1;
  });
  const resize = (
    await before.call<Operation>("POST", `/v1/volumes/${base.resourceId}/resize`, { sizeGiB: 2 })
  ).body;
  const attach = (
    await before.call<Operation>("POST", `/v1/volumes/${base.resourceId}/attachments`, {
      instanceId: remote.id,
    })
  ).body;
  while (acknowledged.length < 10) {
    // Every create answered without ten acknowledged: the kill would prove nothing, and waiting would hang.
    assert.ok(
      answered < creates.length,
      `only ${acknowledged.length} of ${creates.length} creates acknowledged`,
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await killHard(first.child);
  await Promise.all(creates);

  JSON.parse(await readFile(join(dir, "data", "state.json"), "utf8"));
  const second = await spawnCloud([...args, "--latency-ms", "10", "--no-local-attach"]);
  children.push(second);
  const after = asClient(second.url);

  for (const ack of acknowledged) {
    const operation = await after.settle(ack.operationId);
    assert.equal(operation.status, "succeeded", `${ack.body.name}: ${JSON.stringify(operation.error)}`);
    const volume = await after.call<Schemas["Volume"]>("GET", `/v1/volumes/${ack.volumeId}`);
    assert.equal(volume.status, 200);
    assert.equal(volume.body.status, "available");
    assert.equal(volume.body.sizeBytes, ack.body.sizeGiB * GiB);
    const replay = await after.call<Operation>("POST", "/v1/volumes", ack.body, {
      "Idempotency-Key": ack.key,
    });
    assert.equal(replay.body.id, ack.operationId);
  }
  assert.equal((await after.settle(resize.id)).status, "succeeded");
  assert.equal((await after.settle(attach.id)).status, "succeeded");
  const baseNow = await after.call<Schemas["Volume"]>("GET", `/v1/volumes/${base.resourceId}`);
  assert.equal(baseNow.body.sizeBytes, 2 * GiB);
  assert.deepEqual(
    baseNow.body.attachments.map((a) => [a.instanceId, a.state]),
    [[remote.id, "attached"]],
  );

  const all = await after.call<Schemas["VolumeList"]>("GET", "/v1/volumes?limit=1000");
  const names = all.body.items.map((v) => v.name);
  assert.equal(new Set(names).size, names.length, "volume names are unique");
  for (const name of names) assert.match(name, /^(base|pv-\d+)$/);
  const restartedInstances = await after.call<Schemas["InstanceList"]>("GET", "/v1/instances?zone=ref-1a");
  assert.equal(
    restartedInstances.body.items[0]?.id,
    instances.body.items[0]?.id,
    "instance ids survive restarts",
  );
});
