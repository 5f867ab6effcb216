import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import {
  type Operation,
  type Problem,
  startTestCloud,
  suiteCleanup,
  type TestCloud,
  uniqueName,
  type Volume,
} from "./harness.js";

type Schemas = components["schemas"];

const INSTANCES = ["node-1", "node-2", "node-3", "node-4"].map((name) => ({
  name,
  zone: "ref-1a",
  maxAttachedVolumes: 16,
}));

describe("reference cloud exclusive attach", () => {
  let c: TestCloud;
  const ids = new Map<string, string>();

  const cleanup = suiteCleanup();
  after(cleanup.run);
  before(async () => {
    // Attaches take long enough that a test can act while one is still attaching.
    c = await startTestCloud(cleanup, {
      instances: INSTANCES,
      localAttach: false,
      operationLatencyMs: { createVolume: 10, attachVolume: 250 },
    });
    const listed = await c.call<Schemas["InstanceList"]>("GET", "/v1/instances");
    for (const instance of listed.body.items) ids.set(instance.name, instance.id);
  });

  const instanceId = (name: string) => ids.get(name) as string;

  async function multiAttachVolume(): Promise<Volume> {
    const operation = await c.done("POST", "/v1/volumes", {
      name: uniqueName("exclusive"),
      zone: "ref-1a",
      sizeGiB: 4,
      type: "performance",
    });
    return operation.volume as Volume;
  }

  const attach = (volume: Volume, body: Schemas["AttachVolumeRequest"]) =>
    c.call<Operation | Problem>("POST", `/v1/volumes/${volume.id}/attachments`, body);

  test("an exclusive attach of a multi-attach volume attached elsewhere is volume_in_use naming the instance", async () => {
    const volume = await multiAttachVolume();
    const first = instanceId("node-1");
    await c.done("POST", `/v1/volumes/${volume.id}/attachments`, { instanceId: first });
    const answer = await attach(volume, { instanceId: instanceId("node-2"), exclusive: true });
    assert.equal(answer.status, 409);
    const problem = answer.body as Problem;
    assert.equal(problem.code, "volume_in_use");
    assert.deepEqual(problem.instanceIds, [first]);
    assert.equal(
      problem.detail,
      `volume ${volume.id} is attached to instance ${first} and the attach to ${instanceId("node-2")} asked to be exclusive`,
    );
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.deepEqual(
      fetched.body.attachments.map((a) => a.instanceId),
      [first],
    );
  });

  test("an exclusive attach is refused while the other attachment is still attaching", async () => {
    const volume = await multiAttachVolume();
    const first = instanceId("node-1");
    const started = await attach(volume, { instanceId: first });
    assert.equal(started.status, 202);
    const answer = await attach(volume, { instanceId: instanceId("node-2"), exclusive: true });
    assert.equal(answer.status, 409);
    assert.deepEqual((answer.body as Problem).instanceIds, [first]);
    // Still attaching after the refusal, so it was attaching when the exclusive attach came.
    const during = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.deepEqual(
      during.body.attachments.map((a) => [a.instanceId, a.state]),
      [[first, "attaching"]],
    );
    assert.equal((await c.settle((started.body as Operation).id)).status, "succeeded");
  });

  test("an exclusive attach again to the instance it is attached to answers the original operation", async () => {
    const volume = await multiAttachVolume();
    const instance = instanceId("node-1");
    const first = await c.done("POST", `/v1/volumes/${volume.id}/attachments`, {
      instanceId: instance,
      exclusive: true,
    });
    const again = await attach(volume, { instanceId: instance, exclusive: true });
    assert.equal(again.status, 202);
    assert.equal((again.body as Operation).id, first.id);
    assert.equal((again.body as Operation).status, "succeeded");
  });

  test("of concurrent exclusive attaches to four instances exactly one succeeds", async () => {
    const volume = await multiAttachVolume();
    const instances = INSTANCES.map((i) => instanceId(i.name));
    const answers = await Promise.all(
      instances.map((instance) => attach(volume, { instanceId: instance, exclusive: true })),
    );
    const accepted = answers.filter((a) => a.status === 202);
    assert.equal(accepted.length, 1, JSON.stringify(answers.map((a) => a.body)));
    const winner = accepted[0]?.body as Operation;
    const refused = answers.filter((a) => a.status !== 202);
    assert.deepEqual(
      refused.map((a) => [a.status, (a.body as Problem).code, (a.body as Problem).instanceIds]),
      refused.map(() => [409, "volume_in_use", [winner.instanceId]]),
    );
    assert.equal((await c.settle(winner.id)).status, "succeeded");
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.deepEqual(
      fetched.body.attachments.map((a) => a.instanceId),
      [winner.instanceId],
    );
  });

  test("an attach without exclusive still joins a multi-attach volume attached elsewhere", async () => {
    const volume = await multiAttachVolume();
    await c.done("POST", `/v1/volumes/${volume.id}/attachments`, {
      instanceId: instanceId("node-1"),
      exclusive: true,
    });
    await c.done("POST", `/v1/volumes/${volume.id}/attachments`, {
      instanceId: instanceId("node-2"),
      exclusive: false,
    });
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.deepEqual(
      fetched.body.attachments.map((a) => a.instanceId),
      [instanceId("node-1"), instanceId("node-2")],
    );
  });
});
