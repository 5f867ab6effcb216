import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import {
  GiB,
  type Operation,
  type Problem,
  startTestCloud,
  suiteCleanup,
  type TestCloud,
  uniqueName,
  type Volume,
} from "./harness.js";

type Schemas = components["schemas"];

const INSTANCES = [
  { name: "local-host", zone: "ref-1a", maxAttachedVolumes: 4, local: true },
  { name: "node-a2", zone: "ref-1a", maxAttachedVolumes: 1 },
  { name: "node-a3", zone: "ref-1a", maxAttachedVolumes: 4 },
  { name: "node-b", zone: "ref-1b", maxAttachedVolumes: 4 },
];

describe("reference cloud contract", () => {
  let c: TestCloud;
  const ids = new Map<string, string>();

  const cleanup = suiteCleanup();
  after(cleanup.run);
  before(async () => {
    c = await startTestCloud(cleanup, { instances: INSTANCES, localAttach: false });
    const listed = await c.call<Schemas["InstanceList"]>("GET", "/v1/instances");
    for (const instance of listed.body.items) ids.set(instance.name, instance.id);
  });

  const instanceId = (name: string) => ids.get(name) as string;

  async function createVolume(spec: Partial<Schemas["CreateVolumeRequest"]> = {}): Promise<Volume> {
    const operation = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1a",
      sizeGiB: 1,
      ...spec,
    });
    return operation.volume as Volume;
  }

  async function expectProblem(
    method: string,
    path: string,
    body: unknown,
    status: number,
    code: Problem["code"],
  ): Promise<Problem> {
    const answer = await c.call<Problem>(method, path, body);
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.headers.get("content-type"), "application/problem+json");
    assert.equal(answer.body.code, code);
    assert.equal(answer.body.status, status);
    assert.equal(answer.body.type, `https://ballast.dev/problems/${code}`);
    return answer.body;
  }

  test("listZones returns the three default zones", async () => {
    const answer = await c.call<Schemas["ZoneList"]>("GET", "/v1/zones");
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.items.map((z) => z.name),
      ["ref-1a", "ref-1b", "ref-1c"],
    );
  });

  test("listVolumeTypes returns standard with fixed performance and multi-attach performance", async () => {
    const answer = await c.call<Schemas["VolumeTypeList"]>("GET", "/v1/volume-types");
    assert.deepEqual(
      answer.body.items.map((t) => t.name),
      ["standard", "balanced", "performance"],
    );
    const [standard, balanced, performance] = answer.body.items;
    assert.equal(standard?.iops, undefined);
    assert.deepEqual(balanced?.iops, { min: 3000, max: 16000, default: 3000 });
    assert.equal(performance?.multiAttach, true);
    assert.equal(balanced?.multiAttach, false);
  });

  test("getCapacity of an unknown zone is not_found", async () => {
    const problem = await expectProblem("GET", "/v1/capacity?zone=ref-9z", undefined, 404, "not_found");
    assert.match(problem.detail ?? "", /ref-9z/);
  });

  test("getCapacity of a zone and type reports the largest volume of that type", async () => {
    const answer = await c.call<Schemas["Capacity"]>("GET", "/v1/capacity?zone=ref-1c&type=standard");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.zone, "ref-1c");
    assert.equal(answer.body.type, "standard");
    assert.equal(answer.body.maximumVolumeSizeBytes, 16 * 1024 * GiB);
    assert.equal(answer.body.availableBytes, 100 * 1024 * GiB);
  });

  test("createVolume answers 202 with poll hints and the volume becomes available with type defaults", async () => {
    const name = uniqueName("vol");
    const answer = await c.call<Operation>("POST", "/v1/volumes", {
      name,
      zone: "ref-1a",
      sizeBytes: 1.5 * GiB,
      tags: { team: "storage" },
    });
    assert.equal(answer.status, 202);
    assert.equal(answer.body.kind, "createVolume");
    assert.equal(answer.headers.get("location"), `/v1/operations/${answer.body.id}`);
    assert.match(answer.headers.get("retry-after") ?? "", /^\d+$/);
    assert.match(answer.headers.get("poll-after-ms") ?? "", /^\d+$/);
    assert.match(answer.body.resourceId, /^vol-[0-9a-f]{16}$/);
    const operation = await c.settle(answer.body.id);
    assert.equal(operation.status, "succeeded");
    const volume = operation.volume as Volume;
    assert.equal(volume.id, answer.body.resourceId);
    assert.equal(volume.name, name);
    assert.equal(volume.status, "available");
    assert.equal(volume.sizeBytes, 2 * GiB);
    assert.equal(volume.type, "balanced");
    assert.equal(volume.iops, 3000);
    assert.equal(volume.throughputMiBps, 125);
    assert.equal(volume.encrypted, false);
    assert.deepEqual(volume.tags, { team: "storage" });
    assert.deepEqual(volume.attachments, []);
  });

  test("createVolume with encryption and no key uses the default key", async () => {
    const volume = await createVolume({ encrypted: true, type: "standard" });
    assert.equal(volume.encrypted, true);
    assert.equal(volume.kmsKeyId, "ref-kms-default");
    assert.equal(volume.iops, undefined);
  });

  test("snapshots, restores and clones of a volume encrypted with its own key keep that key", async () => {
    const source = await createVolume({ encrypted: true, kmsKeyId: "ref-kms-team-a", type: "standard" });
    const snapshot = (
      await c.done("POST", "/v1/snapshots", { name: uniqueName("snap"), sourceVolumeId: source.id })
    ).snapshot as Schemas["Snapshot"];
    const restored = await createVolume({ sourceSnapshotId: snapshot.id, type: "standard" });
    const clone = await createVolume({ sourceVolumeId: source.id, type: "standard" });
    const rekeyed = await createVolume({
      sourceVolumeId: source.id,
      type: "standard",
      encrypted: true,
      kmsKeyId: "ref-kms-team-b",
    });
    assert.deepEqual(
      [snapshot, restored, clone, rekeyed].map((r) => [r.encrypted, r.kmsKeyId]),
      [
        [true, "ref-kms-team-a"],
        [true, "ref-kms-team-a"],
        [true, "ref-kms-team-a"],
        [true, "ref-kms-team-b"],
      ],
    );
  });

  test("createVolume with both sizeBytes and sizeGiB is invalid_argument", async () => {
    const problem = await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1, sizeBytes: GiB },
      400,
      "invalid_argument",
    );
    assert.match(problem.detail ?? "", /sizeBytes and sizeGiB/);
  });

  test("createVolume with an unknown field is invalid_argument naming the field", async () => {
    const problem = await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1, color: "red" },
      400,
      "invalid_argument",
    );
    assert.deepEqual(problem.errors, [{ pointer: "/color", message: "is not a known field" }]);
  });

  test("createVolume beyond the type's maximum size is out_of_range", async () => {
    const problem = await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 17 * 1024, type: "standard" },
      400,
      "out_of_range",
    );
    assert.match(problem.detail ?? "", /^sizeBytes: \d+ is outside \d+\.\.\d+ of type standard$/);
  });

  test("createVolume with IOPS outside the type's bounds is out_of_range", async () => {
    await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1, iops: 20000 },
      400,
      "out_of_range",
    );
  });

  test("createVolume with IOPS on a fixed-performance type is invalid_argument", async () => {
    await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1, type: "standard", iops: 3000 },
      400,
      "invalid_argument",
    );
  });

  test("createVolume in an unknown zone is invalid_argument", async () => {
    const problem = await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-9z", sizeGiB: 1 },
      400,
      "invalid_argument",
    );
    assert.match(problem.detail ?? "", /zone: "ref-9z" is not a zone/);
  });

  test("getVolume of an unknown id is not_found naming the id", async () => {
    const problem = await expectProblem(
      "GET",
      "/v1/volumes/vol-00000000000000ff",
      undefined,
      404,
      "not_found",
    );
    assert.match(problem.detail ?? "", /vol-00000000000000ff/);
  });

  test("getVolume with a malformed id is invalid_argument", async () => {
    await expectProblem("GET", "/v1/volumes/not-an-id", undefined, 400, "invalid_argument");
  });

  test("listVolumes pages through a tag filter with nextPageToken", async () => {
    const tag = uniqueName("page");
    const created = [
      await createVolume({ tags: { page: tag } }),
      await createVolume({ tags: { page: tag } }),
      await createVolume({ tags: { page: tag } }),
    ];
    const first = await c.call<Schemas["VolumeList"]>("GET", `/v1/volumes?limit=2&tag=page=${tag}`);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.items.map((v) => v.id),
      created.slice(0, 2).map((v) => v.id),
    );
    assert.equal(typeof first.body.nextPageToken, "string");
    const second = await c.call<Schemas["VolumeList"]>(
      "GET",
      `/v1/volumes?limit=2&tag=page=${tag}&pageToken=${first.body.nextPageToken}`,
    );
    assert.deepEqual(
      second.body.items.map((v) => v.id),
      [created[2]?.id],
    );
    assert.equal(second.body.nextPageToken, undefined);
  });

  test("listVolumes filters by name", async () => {
    const volume = await createVolume();
    const answer = await c.call<Schemas["VolumeList"]>("GET", `/v1/volumes?name=${volume.name}`);
    assert.deepEqual(
      answer.body.items.map((v) => v.id),
      [volume.id],
    );
  });

  test("listVolumes with a forged page token is invalid_page_token", async () => {
    await expectProblem("GET", "/v1/volumes?pageToken=bm90LWEtdG9rZW4", undefined, 400, "invalid_page_token");
  });

  test("listVolumes with limit 0 is invalid_argument", async () => {
    await expectProblem("GET", "/v1/volumes?limit=0", undefined, 400, "invalid_argument");
  });

  test("deleteVolume removes the volume and a second delete is not_found", async () => {
    const volume = await createVolume();
    const operation = await c.done("DELETE", `/v1/volumes/${volume.id}`);
    assert.equal(operation.kind, "deleteVolume");
    await expectProblem("GET", `/v1/volumes/${volume.id}`, undefined, 404, "not_found");
    await expectProblem("DELETE", `/v1/volumes/${volume.id}`, undefined, 404, "not_found");
  });

  test("resizeVolume grows the volume", async () => {
    const volume = await createVolume();
    const operation = await c.done("POST", `/v1/volumes/${volume.id}/resize`, { sizeGiB: 3 });
    assert.equal(operation.volume?.sizeBytes, 3 * GiB);
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${volume.id}`);
    assert.equal(fetched.body.sizeBytes, 3 * GiB);
  });

  test("resizeVolume to a smaller size is invalid_argument", async () => {
    const volume = await createVolume({ sizeGiB: 2 });
    const problem = await expectProblem(
      "POST",
      `/v1/volumes/${volume.id}/resize`,
      { sizeGiB: 1 },
      400,
      "invalid_argument",
    );
    assert.match(problem.detail ?? "", /volumes only grow/);
  });

  test("resizeVolume beyond the type's maximum is out_of_range", async () => {
    const volume = await createVolume();
    await expectProblem(
      "POST",
      `/v1/volumes/${volume.id}/resize`,
      { sizeGiB: 17 * 1024 },
      400,
      "out_of_range",
    );
  });

  test("resizeVolume to the current size answers an already succeeded operation", async () => {
    const volume = await createVolume();
    const answer = await c.call<Operation>("POST", `/v1/volumes/${volume.id}/resize`, { sizeGiB: 1 });
    assert.equal(answer.status, 202);
    assert.equal(answer.body.status, "succeeded");
    assert.equal(answer.body.volume?.sizeBytes, GiB);
  });

  test("modifyVolume to another type takes that type's default IOPS", async () => {
    const volume = await createVolume({ sizeGiB: 4 });
    const operation = await c.done("POST", `/v1/volumes/${volume.id}/modify`, { type: "performance" });
    assert.equal(operation.volume?.type, "performance");
    assert.equal(operation.volume?.iops, 10000);
    assert.equal(operation.volume?.throughputMiBps, 500);
  });

  test("modifyVolume with IOPS beyond the type's maximum is out_of_range", async () => {
    const volume = await createVolume();
    await expectProblem("POST", `/v1/volumes/${volume.id}/modify`, { iops: 16001 }, 400, "out_of_range");
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

  test("createSnapshot makes an available snapshot of the volume's size", async () => {
    const volume = await createVolume({ sizeGiB: 2 });
    const operation = await c.done("POST", "/v1/snapshots", {
      name: uniqueName("snap"),
      sourceVolumeId: volume.id,
    });
    const snapshot = operation.snapshot as Schemas["Snapshot"];
    assert.match(snapshot.id, /^snap-[0-9a-f]{16}$/);
    assert.equal(snapshot.status, "available");
    assert.equal(snapshot.readyToUse, true);
    assert.equal(snapshot.sizeBytes, 2 * GiB);
    const listed = await c.call<Schemas["SnapshotList"]>("GET", `/v1/snapshots?sourceVolumeId=${volume.id}`);
    assert.deepEqual(
      listed.body.items.map((s) => s.id),
      [snapshot.id],
    );
  });

  test("a volume restored from a snapshot without a size gets the snapshot's size", async () => {
    const volume = await createVolume({ sizeGiB: 2 });
    const snap = await c.done("POST", "/v1/snapshots", {
      name: uniqueName("snap"),
      sourceVolumeId: volume.id,
    });
    const restored = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1b",
      sourceSnapshotId: snap.resourceId,
    });
    assert.equal(restored.volume?.sizeBytes, 2 * GiB);
    assert.equal(restored.volume?.sourceSnapshotId, snap.resourceId);
  });

  test("a volume restored smaller than its snapshot is invalid_argument", async () => {
    const volume = await createVolume({ sizeGiB: 2 });
    const snap = await c.done("POST", "/v1/snapshots", {
      name: uniqueName("snap"),
      sourceVolumeId: volume.id,
    });
    await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1, sourceSnapshotId: snap.resourceId },
      400,
      "invalid_argument",
    );
  });

  test("deleting a volume keeps its snapshots", async () => {
    const volume = await createVolume();
    const snap = await c.done("POST", "/v1/snapshots", {
      name: uniqueName("snap"),
      sourceVolumeId: volume.id,
    });
    await c.done("DELETE", `/v1/volumes/${volume.id}`);
    const fetched = await c.call<Schemas["Snapshot"]>("GET", `/v1/snapshots/${snap.resourceId}`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.status, "available");
  });

  test("deleteSnapshot removes the snapshot", async () => {
    const volume = await createVolume();
    const snap = await c.done("POST", "/v1/snapshots", {
      name: uniqueName("snap"),
      sourceVolumeId: volume.id,
    });
    await c.done("DELETE", `/v1/snapshots/${snap.resourceId}`);
    await expectProblem("GET", `/v1/snapshots/${snap.resourceId}`, undefined, 404, "not_found");
  });

  test("createSnapshot of an unknown volume is not_found", async () => {
    await expectProblem(
      "POST",
      "/v1/snapshots",
      { name: uniqueName("snap"), sourceVolumeId: "vol-00000000000000ff" },
      404,
      "not_found",
    );
  });

  test("a clone into another zone is zone_mismatch", async () => {
    const volume = await createVolume();
    await expectProblem(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1b", sourceVolumeId: volume.id },
      422,
      "zone_mismatch",
    );
  });

  test("a clone in the same zone has the source's size", async () => {
    const volume = await createVolume({ sizeGiB: 2 });
    const clone = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1a",
      sourceVolumeId: volume.id,
    });
    assert.equal(clone.volume?.sizeBytes, 2 * GiB);
    assert.equal(clone.volume?.sourceVolumeId, volume.id);
  });

  test("listInstances finds an instance by name", async () => {
    const answer = await c.call<Schemas["InstanceList"]>("GET", "/v1/instances?name=node-b");
    assert.equal(answer.body.items.length, 1);
    assert.deepEqual(
      { ...answer.body.items[0], id: undefined },
      { id: undefined, name: "node-b", zone: "ref-1b", maxAttachedVolumes: 4, attachedVolumeIds: [] },
    );
  });

  test("getInstance of an unknown id is not_found", async () => {
    await expectProblem("GET", "/v1/instances/i-00000000000000ff", undefined, 404, "not_found");
  });

  test("getOperation of an unknown id is not_found", async () => {
    await expectProblem("GET", "/v1/operations/op-00000000000000ff", undefined, 404, "not_found");
  });

  test("a request without a token is unauthorized with WWW-Authenticate", async () => {
    const response = await fetch(`${c.cloud.url}/v1/zones`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), "Bearer");
    assert.equal(((await response.json()) as Problem).code, "unauthorized");
  });

  test("a request with an unknown token is forbidden", async () => {
    const answer = await c.call<Problem>("GET", "/v1/zones", undefined, {
      Authorization: "Bearer wrong-token",
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, "forbidden");
  });

  test("an unsupported method on a known path is method_not_allowed", async () => {
    await expectProblem("PUT", "/v1/volumes", {}, 405, "method_not_allowed");
  });

  test("an unknown path is not_found", async () => {
    await expectProblem("GET", "/v1/disks", undefined, 404, "not_found");
  });

  test("getHealth reports the local instance and why local attach is off", async () => {
    const answer = await c.call<Schemas["Health"]>("GET", "/admin/health");
    assert.equal(answer.status, 200);
    assert.equal(answer.body.localAttach.available, false);
    assert.equal(answer.body.localAttach.instanceId, instanceId("local-host"));
    assert.match(answer.body.localAttach.reason ?? "", /turned off/);
  });

  test("getRequestLog counts requests per operation and status, and resetRequestLog clears it", async () => {
    await c.call("DELETE", "/admin/requests");
    await c.call("GET", "/v1/zones");
    await c.call("GET", "/v1/volumes/vol-00000000000000ff");
    const log = await c.call<Schemas["RequestLog"]>("GET", "/admin/requests");
    assert.deepEqual(log.body.counters, [
      { operationId: "listZones", status: 200, count: 1 },
      { operationId: "getVolume", status: 404, count: 1 },
    ]);
    assert.deepEqual(
      log.body.entries.map((e) => [e.method, e.path, e.status]),
      [
        ["GET", "/v1/zones", 200],
        ["GET", "/v1/volumes/vol-00000000000000ff", 404],
      ],
    );
    assert.equal((await c.call("DELETE", "/admin/requests")).status, 204);
    const cleared = await c.call<Schemas["RequestLog"]>("GET", "/admin/requests");
    assert.deepEqual(cleared.body, { counters: [], entries: [] });
  });
});

describe("reference cloud limits", () => {
  test("deleteVolume while the volume is being created is conflict", async (t) => {
    const c = await startTestCloud(t, { operationLatencyMs: { createVolume: 60_000 } });
    const created = await c.call<Operation>("POST", "/v1/volumes", {
      name: "slow",
      zone: "ref-1a",
      sizeGiB: 1,
    });
    const answer = await c.call<Problem>("DELETE", `/v1/volumes/${created.body.resourceId}`);
    assert.equal(answer.status, 409);
    assert.equal(answer.body.code, "conflict");
    assert.match(answer.body.detail ?? "", /still being created/);
    const fetched = await c.call<Volume>("GET", `/v1/volumes/${created.body.resourceId}`);
    assert.equal(fetched.body.status, "creating");
  });

  test("createVolume beyond the volume count quota is quota_exceeded", async (t) => {
    const c = await startTestCloud(t, { quotas: { maxVolumes: 1 } });
    await c.done("POST", "/v1/volumes", { name: "first", zone: "ref-1a", sizeGiB: 1 });
    const answer = await c.call<Problem>("POST", "/v1/volumes", {
      name: "second",
      zone: "ref-1a",
      sizeGiB: 1,
    });
    assert.equal(answer.status, 422);
    assert.equal(answer.body.code, "quota_exceeded");
    assert.match(answer.body.detail ?? "", /quota of 1 volumes/);
  });

  test("createVolume larger than the pool is insufficient_capacity and capacity shows what is left", async (t) => {
    const c = await startTestCloud(t, { poolCapacityBytes: 2 * GiB });
    await c.done("POST", "/v1/volumes", { name: "first", zone: "ref-1a", sizeGiB: 1 });
    const answer = await c.call<Problem>("POST", "/v1/volumes", {
      name: "second",
      zone: "ref-1a",
      sizeGiB: 2,
    });
    assert.equal(answer.status, 422);
    assert.equal(answer.body.code, "insufficient_capacity");
    const capacity = await c.call<Schemas["Capacity"]>("GET", "/v1/capacity?zone=ref-1a&type=balanced");
    assert.equal(capacity.body.availableBytes, GiB);
  });
});
