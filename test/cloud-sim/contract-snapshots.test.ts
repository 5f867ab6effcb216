import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import { contractSuite } from "./contract-suite.js";
import { GiB, type TestCloud, uniqueName } from "./harness.js";

type Schemas = components["schemas"];

describe("reference cloud contract: snapshots and clones", () => {
  let c: TestCloud;
  const { createVolume, expectProblem } = contractSuite((cloud) => {
    c = cloud;
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
});
