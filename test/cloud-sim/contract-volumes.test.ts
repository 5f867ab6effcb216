import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import { contractSuite } from "./contract-suite.js";
import { GiB, type Operation, type TestCloud, uniqueName, type Volume } from "./harness.js";

type Schemas = components["schemas"];

describe("reference cloud contract: volumes", () => {
  let c: TestCloud;
  const { createVolume, expectProblem } = contractSuite((cloud) => {
    c = cloud;
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
});
