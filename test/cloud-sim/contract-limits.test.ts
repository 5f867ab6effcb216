import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import { GiB, type Operation, type Problem, startTestCloud, type Volume } from "./harness.js";

type Schemas = components["schemas"];

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
