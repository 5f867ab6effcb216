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
} from "./harness.js";

type Schemas = components["schemas"];

describe("reference cloud idempotency", () => {
  let c: TestCloud;
  const cleanup = suiteCleanup();
  after(cleanup.run);
  before(async () => {
    c = await startTestCloud(cleanup, { localAttach: false });
  });

  const volumesNamed = async (name: string) =>
    (await c.call<Schemas["VolumeList"]>("GET", `/v1/volumes?name=${name}`)).body.items;

  test("a createVolume replayed with the same Idempotency-Key answers the same operation", async () => {
    const name = uniqueName("vol");
    const body = { name, zone: "ref-1a", sizeGiB: 1 };
    const key = { "Idempotency-Key": uniqueName("key") };
    const first = await c.call<Operation>("POST", "/v1/volumes", body, key);
    const replay = await c.call<Operation>("POST", "/v1/volumes", body, key);
    assert.equal(first.status, 202);
    assert.equal(replay.status, 202);
    assert.equal(replay.body.id, first.body.id);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(first.headers.get("idempotent-replayed"), null);
    assert.equal((await volumesNamed(name)).length, 1);
  });

  test("an Idempotency-Key reused with a different body is idempotency_key_mismatch", async () => {
    const key = { "Idempotency-Key": uniqueName("key") };
    await c.call("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 }, key);
    const answer = await c.call<Problem>(
      "POST",
      "/v1/volumes",
      { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 2 },
      key,
    );
    assert.equal(answer.status, 422);
    assert.equal(answer.body.code, "idempotency_key_mismatch");
  });

  test("a create with a known name and the same spec answers the creating operation", async () => {
    const body = { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1, tags: { a: "b" } };
    const first = await c.done("POST", "/v1/volumes", body);
    const again = await c.call<Operation>("POST", "/v1/volumes", body);
    assert.equal(again.status, 202);
    assert.equal(again.body.id, first.id);
    assert.equal(again.body.status, "succeeded");
    assert.equal(again.body.volume?.id, first.resourceId);
    assert.equal((await volumesNamed(body.name)).length, 1);
  });

  test("a create with a known name and a different spec is already_exists naming the volume", async () => {
    const name = uniqueName("vol");
    const first = await c.done("POST", "/v1/volumes", { name, zone: "ref-1a", sizeGiB: 1 });
    const answer = await c.call<Problem>("POST", "/v1/volumes", { name, zone: "ref-1a", sizeGiB: 2 });
    assert.equal(answer.status, 409);
    assert.equal(answer.body.code, "already_exists");
    assert.equal(answer.body.resourceId, first.resourceId);
  });

  test("a known name with a spec that differs only in tags is already_exists", async () => {
    const name = uniqueName("vol");
    await c.done("POST", "/v1/volumes", { name, zone: "ref-1a", sizeGiB: 1, tags: { a: "1" } });
    const answer = await c.call<Problem>("POST", "/v1/volumes", {
      name,
      zone: "ref-1a",
      sizeGiB: 1,
      tags: { a: "2" },
    });
    assert.equal(answer.body.code, "already_exists");
  });

  test("after a volume is deleted, its name and Idempotency-Key create a new volume", async () => {
    const body = { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 };
    const key = { "Idempotency-Key": uniqueName("key") };
    const first = await c.call<Operation>("POST", "/v1/volumes", body, key);
    await c.settle(first.body.id);
    await c.done("DELETE", `/v1/volumes/${first.body.resourceId}`);
    const second = await c.call<Operation>("POST", "/v1/volumes", body, key);
    assert.equal(second.status, 202);
    assert.notEqual(second.body.id, first.body.id);
    assert.equal(second.headers.get("idempotent-replayed"), null);
    await c.settle(second.body.id);
    const volumes = await volumesNamed(body.name);
    assert.equal(volumes.length, 1);
    assert.equal(volumes[0]?.id, second.body.resourceId);
    assert.notEqual(second.body.resourceId, first.body.resourceId);
  });

  test("concurrent creates with the same name make one volume", async () => {
    const body = { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => c.call<Operation>("POST", "/v1/volumes", body)),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(8).fill(202),
    );
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    assert.equal((await volumesNamed(body.name)).length, 1);
  });

  test("a createSnapshot with a known name and the same source answers the creating operation", async () => {
    const volume = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1a",
      sizeGiB: 1,
    });
    const body = { name: uniqueName("snap"), sourceVolumeId: volume.resourceId };
    const first = await c.done("POST", "/v1/snapshots", body);
    const again = await c.call<Operation>("POST", "/v1/snapshots", body);
    assert.equal(again.body.id, first.id);
  });

  test("a createSnapshot with a known name and another source is already_exists", async () => {
    const one = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
    const two = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
    const name = uniqueName("snap");
    await c.done("POST", "/v1/snapshots", { name, sourceVolumeId: one.resourceId });
    const answer = await c.call<Problem>("POST", "/v1/snapshots", { name, sourceVolumeId: two.resourceId });
    assert.equal(answer.status, 409);
    assert.equal(answer.body.code, "already_exists");
  });

  test("a resize replayed with the same Idempotency-Key after it finished answers the same operation", async () => {
    const volume = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1a",
      sizeGiB: 1,
    });
    const key = { "Idempotency-Key": uniqueName("key") };
    const first = await c.call<Operation>(
      "POST",
      `/v1/volumes/${volume.resourceId}/resize`,
      { sizeGiB: 2 },
      key,
    );
    await c.settle(first.body.id);
    const replay = await c.call<Operation>(
      "POST",
      `/v1/volumes/${volume.resourceId}/resize`,
      { sizeGiB: 2 },
      key,
    );
    assert.equal(replay.body.id, first.body.id);
    assert.equal(replay.body.status, "succeeded");
  });
});
