import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import { contractSuite } from "./contract-suite.js";
import type { Operation, TestCloud, Volume } from "./harness.js";

type Schemas = components["schemas"];

describe("reference cloud contract: attachments", () => {
  let c: TestCloud;
  const { instanceId, createVolume, expectProblem } = contractSuite((cloud) => {
    c = cloud;
  });

  test("attachVolume to an instance reports serial and by-id path and makes the volume in-use", async () => {
    const volume = await createVolume();
    const instance = instanceId("node-a3");
    const operation = await c.done("POST", `/v1/volumes/${volume.id}/attachments`, { instanceId: instance });
    assert.deepEqual(
      { ...operation.attachment, attachedAt: undefined },
      {
        volumeId: volume.id,
        instanceId: instance,
        serial: volume.id,
        byIdPath: `${c.cloud.byIdDir}/virtio-${volume.id}`,
        state: "attached",
        readOnly: false,
        attachedAt: undefined,
      },
    );
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.equal(fetched.body.status, "in-use");
    const attachment = await c.call<Schemas["Attachment"]>(
      "GET",
      `/v1/volumes/${volume.id}/attachments/${instance}`,
    );
    assert.equal(attachment.body.state, "attached");
    const host = await c.call<Schemas["Instance"]>("GET", `/v1/instances/${instance}`);
    assert.ok(host.body.attachedVolumeIds.includes(volume.id));
    const byInstance = await c.call<Schemas["VolumeList"]>("GET", `/v1/volumes?instanceId=${instance}`);
    assert.ok(byInstance.body.items.some((v) => v.id === volume.id));
    await c.done("DELETE", `/v1/volumes/${volume.id}/attachments/${instance}`);
  });

  test("attachVolume again to the same instance answers the original operation", async () => {
    const volume = await createVolume();
    const instance = instanceId("node-a3");
    const first = await c.done("POST", `/v1/volumes/${volume.id}/attachments`, { instanceId: instance });
    const again = await c.call<Operation>("POST", `/v1/volumes/${volume.id}/attachments`, {
      instanceId: instance,
    });
    assert.equal(again.status, 202);
    assert.equal(again.body.id, first.id);
    assert.equal(again.body.status, "succeeded");
    await c.done("DELETE", `/v1/volumes/${volume.id}/attachments/${instance}`);
  });

  test("detachVolume makes the volume available and a second detach is not_found", async () => {
    const volume = await createVolume();
    const instance = instanceId("node-a3");
    await c.done("POST", `/v1/volumes/${volume.id}/attachments`, { instanceId: instance });
    await c.done("DELETE", `/v1/volumes/${volume.id}/attachments/${instance}`);
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.equal(fetched.body.status, "available");
    assert.deepEqual(fetched.body.attachments, []);
    await expectProblem(
      "DELETE",
      `/v1/volumes/${volume.id}/attachments/${instance}`,
      undefined,
      404,
      "not_found",
    );
    await expectProblem(
      "GET",
      `/v1/volumes/${volume.id}/attachments/${instance}`,
      undefined,
      404,
      "not_found",
    );
  });

  test("attachVolume to an instance in another zone is zone_mismatch", async () => {
    const volume = await createVolume();
    await expectProblem(
      "POST",
      `/v1/volumes/${volume.id}/attachments`,
      { instanceId: instanceId("node-b") },
      422,
      "zone_mismatch",
    );
  });

  test("attachVolume of a single-attach volume attached elsewhere is volume_in_use naming the instance", async () => {
    const volume = await createVolume();
    const first = instanceId("node-a3");
    await c.done("POST", `/v1/volumes/${volume.id}/attachments`, { instanceId: first });
    const problem = await expectProblem(
      "POST",
      `/v1/volumes/${volume.id}/attachments`,
      { instanceId: instanceId("node-a2") },
      409,
      "volume_in_use",
    );
    assert.deepEqual(problem.instanceIds, [first]);
    assert.match(problem.detail ?? "", new RegExp(first));
    await c.done("DELETE", `/v1/volumes/${volume.id}/attachments/${first}`);
  });

  test("a multi-attach volume attaches to two instances", async () => {
    const volume = await createVolume({ type: "performance", sizeGiB: 4 });
    const instances = [instanceId("node-a3"), instanceId("node-a2")];
    for (const instance of instances) {
      await c.done("POST", `/v1/volumes/${volume.id}/attachments`, { instanceId: instance, readOnly: true });
    }
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.deepEqual(
      fetched.body.attachments.map((a) => [a.instanceId, a.readOnly]),
      instances.map((i) => [i, true]),
    );
    for (const instance of instances)
      await c.done("DELETE", `/v1/volumes/${volume.id}/attachments/${instance}`);
  });

  test("attachVolume beyond the instance's limit is attach_limit_exceeded", async () => {
    const first = await createVolume();
    const second = await createVolume();
    const instance = instanceId("node-a2");
    await c.done("POST", `/v1/volumes/${first.id}/attachments`, { instanceId: instance });
    const problem = await expectProblem(
      "POST",
      `/v1/volumes/${second.id}/attachments`,
      { instanceId: instance },
      409,
      "attach_limit_exceeded",
    );
    assert.match(problem.detail ?? "", /1 of its 1 volumes/);
    await c.done("DELETE", `/v1/volumes/${first.id}/attachments/${instance}`);
  });

  test("attachVolume to this machine without loop devices is local_attach_unavailable", async () => {
    const volume = await createVolume();
    const problem = await expectProblem(
      "POST",
      `/v1/volumes/${volume.id}/attachments`,
      { instanceId: instanceId("local-host") },
      422,
      "local_attach_unavailable",
    );
    assert.match(problem.detail ?? "", /loop devices are unavailable/);
  });

  test("attachVolume to an unknown instance is not_found", async () => {
    const volume = await createVolume();
    await expectProblem(
      "POST",
      `/v1/volumes/${volume.id}/attachments`,
      { instanceId: "i-00000000000000ff" },
      404,
      "not_found",
    );
  });

  test("deleteVolume of an attached volume is volume_in_use", async () => {
    const volume = await createVolume();
    const instance = instanceId("node-a3");
    await c.done("POST", `/v1/volumes/${volume.id}/attachments`, { instanceId: instance });
    const problem = await expectProblem(
      "DELETE",
      `/v1/volumes/${volume.id}`,
      undefined,
      409,
      "volume_in_use",
    );
    assert.deepEqual(problem.instanceIds, [instance]);
    await c.done("DELETE", `/v1/volumes/${volume.id}/attachments/${instance}`);
  });
});
