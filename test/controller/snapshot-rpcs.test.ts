import assert from "node:assert/strict";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import { cloudNameOf } from "../../src/controller/cloud-names.js";
import { CreateVolumeRequest } from "../../src/generated/csi.js";
import {
  codeOf,
  GiB,
  type Harness,
  mountCapability,
  rpc,
  startHarness,
  takeApiCalls,
} from "./controller-harness.js";

describe("Controller snapshot RPCs against the reference cloud", () => {
  let h: Harness;
  before(async () => {
    // Snapshots take a while here, so the first CreateSnapshot answer is always "not ready yet".
    h = await startHarness({ cloud: { operationLatencyMs: { createSnapshot: 400 } } });
  });
  after(async () => {
    await h.close();
  });

  async function volume(name: string): Promise<string> {
    const response = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name,
        capacityRange: { requiredBytes: 2n * GiB, limitBytes: 0n },
        volumeCapabilities: [mountCapability()],
      }),
    );
    return response.volume?.volumeId ?? "";
  }
  const snapshot = (name: string, sourceVolumeId: string, parameters: Record<string, string> = {}) =>
    rpc(h.controller, h.controller.createSnapshot, { name, sourceVolumeId, secrets: {}, parameters });

  async function readySnapshot(name: string, sourceVolumeId: string) {
    // Bounded, so a snapshot that never becomes ready fails here instead of at the 10-minute test timeout.
    for (let poll = 0; poll < 400; poll += 1) {
      const { snapshot: s } = await snapshot(name, sourceVolumeId);
      if (s?.readyToUse) return s;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`snapshot ${name} never became ready`);
  }

  test("CreateSnapshot answers not ready at first and ready on a later call with the same id", async () => {
    const source = await volume("snap-src-1");
    const first = await snapshot("snapshot-1", source);
    assert.equal(first.snapshot?.readyToUse, false);
    const ready = await readySnapshot("snapshot-1", source);
    assert.equal(ready.snapshotId, first.snapshot?.snapshotId);
    assert.equal(ready.sizeBytes, 2n * GiB);
    assert.equal(ready.sourceVolumeId, source);
  });

  test("CreateSnapshot with a deadline shorter than the copy still answers in time", async () => {
    const source = await volume("snap-src-deadline");
    const response = await rpc(
      h.controller,
      h.controller.createSnapshot,
      { name: "snapshot-deadline", sourceVolumeId: source, secrets: {}, parameters: {} },
      300,
    );
    assert.equal(response.snapshot?.readyToUse, false);
  });

  test("CreateSnapshot of a new name makes one create and one read of the snapshot, with no lookups", async () => {
    const source = await volume("snap-src-cost");
    await takeApiCalls(h);
    await snapshot("snapshot-cost", source);
    assert.deepEqual(await takeApiCalls(h), { createSnapshot: 1, getSnapshot: 1 });
  });

  test("CreateSnapshot of the same name from another volume is AlreadyExists", async () => {
    const a = await volume("snap-src-a");
    const b = await volume("snap-src-b");
    await snapshot("snapshot-taken", a);
    assert.equal(await codeOf(snapshot("snapshot-taken", b)), status.ALREADY_EXISTS);
  });

  test("CreateSnapshot with a Unicode name answers the same snapshot twice and keeps the name in its tag", async () => {
    const source = await volume("snap-src-unicode");
    const name = "instantané ☃ 快照";
    const first = await snapshot(name, source);
    const second = await snapshot(name, source);
    assert.match(first.snapshot?.snapshotId ?? "", /^snap-[0-9a-f]{16}$/);
    assert.equal(second.snapshot?.snapshotId, first.snapshot?.snapshotId);
    const stored = await h.api.findSnapshotByName(cloudNameOf(name), { deadline: Date.now() + 5000 });
    assert.equal(stored?.id, first.snapshot?.snapshotId);
    assert.equal(stored?.tags["ballast.dev/csi-name"], name);
  });

  test("CreateSnapshot with a tab in the name makes the snapshot under the hashed cloud name", async () => {
    const source = await volume("snap-src-tab");
    const name = "snapshot\ttab";
    const { snapshot: made } = await snapshot(name, source);
    const stored = await h.api.findSnapshotByName(cloudNameOf(name), { deadline: Date.now() + 5000 });
    assert.equal(stored?.id, made?.snapshotId);
    assert.equal(stored?.tags["ballast.dev/csi-name"], name);
  });

  test("CreateSnapshot with a C1 control character in the name is InvalidArgument naming it", async () => {
    const source = await volume("snap-src-control");
    await assert.rejects(snapshot("snapshot\u0085next", source), {
      code: status.INVALID_ARGUMENT,
      details:
        'name: "snapshot\u0085next" contains the control character U+0085, which CSI does not allow in names',
    });
  });

  test("CreateSnapshot of an unknown volume is NotFound naming the source volume", async () => {
    await assert.rejects(
      snapshot("snapshot-orphan", "vol-00000000deadbeef"),
      (error: { code: number; details: string }) =>
        error.code === status.NOT_FOUND &&
        error.details === "source_volume_id: volume vol-00000000deadbeef does not exist",
    );
  });

  test("CreateSnapshot whose copy failed in the cloud deletes the failed snapshot, so a retry creates it anew", async () => {
    const source = await volume("snap-src-copy-fails");
    const volumeFile = join(h.cloud.dataDir, "volumes", `${source}.img`);
    await rename(volumeFile, `${volumeFile}.away`);
    const first = await snapshot("snapshot-copy-fails", source);
    const failedId = first.snapshot?.snapshotId ?? "";
    let failure: ServiceError | undefined;
    for (let poll = 0; failure === undefined; poll += 1) {
      assert.ok(poll < 400, "the failed copy never surfaced as an error");
      await new Promise((resolve) => setTimeout(resolve, 50));
      failure = await snapshot("snapshot-copy-fails", source).then(
        (answer) => {
          assert.equal(answer.snapshot?.readyToUse, false);
          return undefined;
        },
        (error: ServiceError) => error,
      );
    }
    assert.equal(failure.code, status.INTERNAL);
    assert.equal(
      failure.details,
      `snapshot ${failedId} failed in the cloud; it was deleted, a retry creates it anew`,
    );
    await rename(`${volumeFile}.away`, volumeFile);
    const ready = await readySnapshot("snapshot-copy-fails", source);
    assert.notEqual(ready.snapshotId, failedId);
  });

  test("CreateSnapshot of a volume id of a shape the cloud never issues is NotFound", async () => {
    assert.equal(await codeOf(snapshot("snapshot-bad-source", "volume-1")), status.NOT_FOUND);
  });

  test("CreateSnapshot without a name is InvalidArgument", async () => {
    const source = await volume("snap-src-noname");
    assert.equal(await codeOf(snapshot("", source)), status.INVALID_ARGUMENT);
  });

  test("CreateSnapshot with an unknown parameter is InvalidArgument", async () => {
    const source = await volume("snap-src-param");
    assert.equal(
      await codeOf(snapshot("snapshot-param", source, { colour: "blue" })),
      status.INVALID_ARGUMENT,
    );
  });

  async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
    const error = await promise.then(
      () => assert.fail("CreateSnapshot answered OK"),
      (e: ServiceError) => e,
    );
    assert.equal(error.code, status.INVALID_ARGUMENT, error.details);
    return error;
  }

  test("a snapshot parameter named after an object property (constructor) is unknown, not a tag", async () => {
    const source = await volume("snap-src-constructor");
    const error = await refusal(snapshot("snapshot-constructor", source, { constructor: "x" }));
    assert.equal(error.details, "parameters.constructor: unknown snapshot parameter");
  });

  test("a control character in the VolumeSnapshot name it records as a tag is InvalidArgument", async () => {
    const source = await volume("snap-src-control");
    const error = await refusal(
      snapshot("snapshot-control", source, { "csi.storage.k8s.io/volumesnapshot/name": "snap\u0000" }),
    );
    assert.equal(
      error.details,
      'parameters.csi.storage.k8s.io/volumesnapshot/name: the value of tag "ballast.dev/volumesnapshot-name" contains a control character (U+0000)',
    );
  });

  test("a volume restored from a snapshot carries the snapshot as its source", async () => {
    const source = await volume("snap-src-restore");
    const ready = await readySnapshot("snapshot-restore", source);
    const restored = await rpc(
      h.controller,
      h.controller.createVolume,
      CreateVolumeRequest.fromPartial({
        name: "restored",
        volumeCapabilities: [mountCapability()],
        volumeContentSource: { type: { $case: "snapshot", value: { snapshotId: ready.snapshotId } } },
      }),
    );
    assert.equal(restored.volume?.capacityBytes, 2n * GiB);
    assert.deepEqual(restored.volume?.contentSource, {
      type: { $case: "snapshot", value: { snapshotId: ready.snapshotId } },
    });
  });

  test("GetSnapshot answers a known snapshot", async () => {
    const source = await volume("snap-src-get");
    const created = await snapshot("snapshot-get", source);
    const got = await rpc(h.controller, h.controller.getSnapshot, {
      snapshotId: created.snapshot?.snapshotId ?? "",
      secrets: {},
    });
    assert.equal(got.snapshot?.sourceVolumeId, source);
  });

  test("GetSnapshot of an unknown snapshot is NotFound", async () => {
    const code = await codeOf(
      rpc(h.controller, h.controller.getSnapshot, { snapshotId: "snap-00000000deadbeef", secrets: {} }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  test("ListSnapshots filtered by source volume lists only its snapshots", async () => {
    const source = await volume("snap-src-list");
    // The cloud cuts one snapshot of a volume at a time.
    const one = await readySnapshot("snapshot-list-1", source);
    const two = await readySnapshot("snapshot-list-2", source);
    const ids: string[] = [];
    let token = "";
    do {
      const page = await rpc(h.controller, h.controller.listSnapshots, {
        maxEntries: 1,
        startingToken: token,
        sourceVolumeId: source,
        snapshotId: "",
        secrets: {},
      });
      ids.push(...page.entries.map((e) => e.snapshot?.snapshotId ?? ""));
      token = page.nextToken;
    } while (token !== "");
    assert.deepEqual(ids.sort(), [one.snapshotId, two.snapshotId].sort());
  });

  test("ListSnapshots filtered by an unknown snapshot id is empty", async () => {
    const page = await rpc(h.controller, h.controller.listSnapshots, {
      maxEntries: 0,
      startingToken: "",
      sourceVolumeId: "",
      snapshotId: "snap-00000000deadbeef",
      secrets: {},
    });
    assert.deepEqual(page, { entries: [], nextToken: "" });
  });

  test("ListSnapshots with an invalid starting token is Aborted", async () => {
    const code = await codeOf(
      rpc(h.controller, h.controller.listSnapshots, {
        maxEntries: 0,
        startingToken: "garbage",
        sourceVolumeId: "",
        snapshotId: "",
        secrets: {},
      }),
    );
    assert.equal(code, status.ABORTED);
  });

  test("DeleteSnapshot removes it and a second delete is OK", async () => {
    const source = await volume("snap-src-del");
    const ready = await readySnapshot("snapshot-del", source);
    await rpc(h.controller, h.controller.deleteSnapshot, { snapshotId: ready.snapshotId, secrets: {} });
    await rpc(h.controller, h.controller.deleteSnapshot, { snapshotId: ready.snapshotId, secrets: {} });
    const code = await codeOf(
      rpc(h.controller, h.controller.getSnapshot, { snapshotId: ready.snapshotId, secrets: {} }),
    );
    assert.equal(code, status.NOT_FOUND);
  });

  test("DeleteVolume of a volume with snapshots is allowed and keeps the snapshot", async () => {
    const source = await volume("snap-src-keep");
    const ready = await readySnapshot("snapshot-keep", source);
    await rpc(h.controller, h.controller.deleteVolume, { volumeId: source, secrets: {} });
    const got = await rpc(h.controller, h.controller.getSnapshot, {
      snapshotId: ready.snapshotId,
      secrets: {},
    });
    assert.equal(got.snapshot?.readyToUse, true);
  });
});
