import assert from "node:assert/strict";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import { contractSuite } from "./contract-suite.js";
import { GiB, type TestCloud, uniqueName } from "./harness.js";

type Schemas = components["schemas"];
type SnapshotGroup = Schemas["SnapshotGroup"];

async function readStart(path: string, length: number): Promise<string> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, 0);
    return buffer.toString("utf8");
  } finally {
    await file.close();
  }
}

async function writeStart(path: string, text: string): Promise<void> {
  const file = await open(path, "r+");
  try {
    await file.write(Buffer.from(text), 0, text.length, 0);
  } finally {
    await file.close();
  }
}

describe("reference cloud contract: snapshot groups", () => {
  let c: TestCloud;
  const { createVolume, expectProblem } = contractSuite((cloud) => {
    c = cloud;
  });

  const imageOf = (volumeId: string) => join(c.dir, "data", "volumes", `${volumeId}.img`);

  async function createGroup(sourceVolumeIds: string[], name = uniqueName("group")): Promise<SnapshotGroup> {
    const operation = await c.done("POST", "/v1/snapshot-groups", { name, sourceVolumeIds });
    return operation.snapshotGroup as SnapshotGroup;
  }

  test("createSnapshotGroup makes one available member snapshot per volume, in the order asked", async () => {
    const first = await createVolume({ sizeGiB: 1 });
    const second = await createVolume({ sizeGiB: 2 });
    const group = await createGroup([second.id, first.id]);
    assert.match(group.id, /^sg-[0-9a-f]{16}$/);
    assert.equal(group.status, "available");
    assert.equal(group.readyToUse, true);
    assert.deepEqual(group.sourceVolumeIds, [second.id, first.id]);
    assert.deepEqual(
      group.snapshots.map((s) => [s.sourceVolumeId, s.sizeBytes, s.status, s.groupId]),
      [
        [second.id, 2 * GiB, "available", group.id],
        [first.id, GiB, "available", group.id],
      ],
    );
  });

  test("each member holds its volume's data as of the group, not later writes", async () => {
    const first = await createVolume();
    const second = await createVolume();
    await writeStart(imageOf(first.id), "first-before");
    await writeStart(imageOf(second.id), "second-before");
    const group = await createGroup([first.id, second.id]);
    await writeStart(imageOf(first.id), "first-after!");
    const [firstMember, secondMember] = group.snapshots;
    const snapshotsDir = join(c.dir, "data", "snapshots");
    assert.equal(await readStart(join(snapshotsDir, `${firstMember?.id}.img`), 12), "first-before");
    assert.equal(await readStart(join(snapshotsDir, `${secondMember?.id}.img`), 13), "second-before");
  });

  test("the same name and volumes in another order answer the first group's operation", async () => {
    const first = await createVolume();
    const second = await createVolume();
    const name = uniqueName("group");
    const created = await c.call<Schemas["Operation"]>("POST", "/v1/snapshot-groups", {
      name,
      sourceVolumeIds: [first.id, second.id],
    });
    const again = await c.call<Schemas["Operation"]>("POST", "/v1/snapshot-groups", {
      name,
      sourceVolumeIds: [second.id, first.id],
    });
    assert.equal(again.status, 202);
    assert.equal(again.body.id, created.body.id);
    const listed = await c.call<Schemas["SnapshotGroupList"]>("GET", `/v1/snapshot-groups?name=${name}`);
    assert.deepEqual(
      listed.body.items.map((g) => g.id),
      [created.body.resourceId],
    );
  });

  test("a known name with other volumes is already_exists", async () => {
    const first = await createVolume();
    const second = await createVolume();
    const name = uniqueName("group");
    await createGroup([first.id, second.id], name);
    await expectProblem(
      "POST",
      "/v1/snapshot-groups",
      { name, sourceVolumeIds: [first.id] },
      409,
      "already_exists",
    );
  });

  test("volumes of two zones are zone_mismatch", async () => {
    const inA = await createVolume({ zone: "ref-1a" });
    const inB = await createVolume({ zone: "ref-1b" });
    const problem = await expectProblem(
      "POST",
      "/v1/snapshot-groups",
      { name: uniqueName("group"), sourceVolumeIds: [inA.id, inB.id] },
      422,
      "zone_mismatch",
    );
    assert.equal(
      problem.detail,
      `sourceVolumeIds: volume ${inA.id} is in zone ref-1a and volume ${inB.id} in zone ref-1b; a group's volumes share one zone`,
    );
  });

  test("a volume that does not exist is not_found naming its position", async () => {
    const volume = await createVolume();
    const problem = await expectProblem(
      "POST",
      "/v1/snapshot-groups",
      { name: uniqueName("group"), sourceVolumeIds: [volume.id, "vol-00000000000000ff"] },
      404,
      "not_found",
    );
    assert.equal(problem.detail, "sourceVolumeIds[1]: volume vol-00000000000000ff does not exist");
  });

  test("a volume listed twice is invalid_argument", async () => {
    const volume = await createVolume();
    await expectProblem(
      "POST",
      "/v1/snapshot-groups",
      { name: uniqueName("group"), sourceVolumeIds: [volume.id, volume.id] },
      400,
      "invalid_argument",
    );
  });

  test("deleting a member snapshot alone is snapshot_in_group", async () => {
    const volume = await createVolume();
    const group = await createGroup([volume.id]);
    const memberId = group.snapshots[0]?.id;
    const problem = await expectProblem(
      "DELETE",
      `/v1/snapshots/${memberId}`,
      undefined,
      409,
      "snapshot_in_group",
    );
    assert.equal(
      problem.detail,
      `snapshot ${memberId} is a member of snapshot group ${group.id}: delete the group`,
    );
  });

  test("deleting the group deletes its members", async () => {
    const volume = await createVolume();
    const group = await createGroup([volume.id]);
    await c.done("DELETE", `/v1/snapshot-groups/${group.id}`);
    assert.equal((await c.call("GET", `/v1/snapshot-groups/${group.id}`)).status, 404);
    assert.equal((await c.call("GET", `/v1/snapshots/${group.snapshots[0]?.id}`)).status, 404);
  });

  test("a member restores as an ordinary snapshot", async () => {
    const volume = await createVolume({ sizeGiB: 2 });
    const group = await createGroup([volume.id]);
    const restored = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1a",
      sourceSnapshotId: group.snapshots[0]?.id,
    });
    assert.equal(restored.volume?.sizeBytes, 2 * GiB);
    assert.equal(restored.volume?.sourceSnapshotId, group.snapshots[0]?.id);
  });
});
