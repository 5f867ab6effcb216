import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { after, before, describe, test } from "node:test";
import type { BlockStorage, CreateVolumeInput } from "../../src/controller/block-storage.js";
import { MANAGED_BY_TAG } from "../../src/controller/storage-class-parameters.js";
import { cloudBlockStorage } from "../../src/providers/ballast/block-storage-adapter.js";
import {
  CLONE_SOURCE_TAG,
  cloneSnapshotName,
  withClonesViaSnapshots,
} from "../../src/providers/shared/clone-via-snapshot.js";
import { BallastError } from "../../src/shared/errors.js";
import { type Harness, startHarness } from "../controller/controller-harness.js";

const GiB = 1024 ** 3;
const call = () => ({ deadline: Date.now() + 20_000, idempotencyKey: `key-${Math.random()}` });
let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

/** A controller that dies right after the named port call returns: the call's effect stays. */
function dyingAfter(storage: BlockStorage, method: "createSnapshot" | "createVolume"): BlockStorage {
  let died = false;
  const dieOnce = () => {
    if (died) return;
    died = true;
    throw new Error(`controller killed after ${method}`);
  };
  return method === "createSnapshot"
    ? {
        ...storage,
        createSnapshot: async (input, options) => {
          const snapshot = await storage.createSnapshot(input, options);
          dieOnce();
          return snapshot;
        },
      }
    : {
        ...storage,
        createVolume: async (input, options) => {
          const volume = await storage.createVolume(input, options);
          dieOnce();
          return volume;
        },
      };
}

describe("clones made as snapshot, restore, delete", () => {
  let h: Harness;
  let storage: BlockStorage;
  before(async () => {
    h = await startHarness();
    storage = cloudBlockStorage(h.api);
  });
  after(() => h.close());

  async function source(): Promise<string> {
    const volume = await storage.createVolume(
      {
        name: uniqueName("src"),
        sizeBytes: GiB,
        zone: "ref-1a",
        type: "balanced",
        encrypted: false,
        tags: {},
      },
      call(),
    );
    return volume.id;
  }

  const cloneInput = (sourceVolumeId: string, name = uniqueName("clone")): CreateVolumeInput => ({
    name,
    sizeBytes: GiB,
    zone: "ref-1a",
    type: "balanced",
    encrypted: false,
    tags: { [MANAGED_BY_TAG]: "block.csi.ballast.dev" },
    sourceVolumeId,
  });

  async function clonesAndSnapshots(name: string) {
    const volumes = (await storage.listVolumes({ limit: 1000 }, call())).items.filter((v) => v.name === name);
    const snapshot = await storage.findSnapshotByName(cloneSnapshotName(name), call());
    return { volumes, snapshot };
  }

  test("a clone is a restore of a snapshot of its source, reported as a copy of the source, with no snapshot left", async () => {
    const sourceId = await source();
    const input = cloneInput(sourceId);
    const clone = await withClonesViaSnapshots(storage).createVolume(input, call());
    assert.equal(clone.sourceVolumeId, sourceId);
    assert.equal(clone.sourceSnapshotId, undefined);
    assert.equal(clone.tags[CLONE_SOURCE_TAG], sourceId);
    const { volumes, snapshot } = await clonesAndSnapshots(input.name);
    assert.deepEqual(
      volumes.map((v) => v.id),
      [clone.id],
    );
    assert.equal(snapshot, undefined);
  });

  test("a controller killed after the snapshot, then retried, makes one clone and leaves no snapshot", async () => {
    const sourceId = await source();
    const input = cloneInput(sourceId);
    await assert.rejects(
      withClonesViaSnapshots(dyingAfter(storage, "createSnapshot")).createVolume(input, call()),
      /controller killed after createSnapshot/,
    );
    assert.notEqual((await clonesAndSnapshots(input.name)).snapshot, undefined);
    const clone = await withClonesViaSnapshots(storage).createVolume(input, call());
    const { volumes, snapshot } = await clonesAndSnapshots(input.name);
    assert.deepEqual(
      volumes.map((v) => v.id),
      [clone.id],
    );
    assert.equal(snapshot, undefined);
  });

  test("a controller killed after the restore, then retried, answers that clone and deletes the snapshot", async () => {
    const sourceId = await source();
    const input = cloneInput(sourceId);
    await assert.rejects(
      withClonesViaSnapshots(dyingAfter(storage, "createVolume")).createVolume(input, call()),
      /controller killed after createVolume/,
    );
    const left = await clonesAndSnapshots(input.name);
    assert.equal(left.volumes.length, 1);
    assert.notEqual(left.snapshot, undefined);
    const clone = await withClonesViaSnapshots(storage).createVolume(input, call());
    assert.equal(clone.id, left.volumes[0]?.id);
    assert.equal(clone.sourceVolumeId, sourceId);
    assert.equal((await clonesAndSnapshots(input.name)).snapshot, undefined);
  });

  /** The storage, with its snapshots read as pending for the first `pendingLooks` looks. */
  function slowSnapshots(pendingLooks: number, onTaken: () => void = () => {}): BlockStorage {
    let looks = 0;
    return {
      ...storage,
      createSnapshot: async (snapshotInput, options) => {
        const snapshot = await storage.createSnapshot(snapshotInput, options);
        onTaken();
        return { ...snapshot, status: "pending", readyToUse: false };
      },
      getSnapshot: async (id, options) => {
        const snapshot = await storage.getSnapshot(id, options);
        looks += 1;
        return snapshot && looks <= pendingLooks
          ? { ...snapshot, status: "pending", readyToUse: false }
          : snapshot;
      },
    };
  }

  test("waiting out a slow snapshot leaves no abort listener on the RPC's signal", async () => {
    const sourceId = await source();
    const rpc = new AbortController();
    const pendingLooks = 15;
    const clone = await withClonesViaSnapshots(slowSnapshots(pendingLooks), {
      pollMs: { initial: 1, max: 1 },
    }).createVolume(cloneInput(sourceId), { ...call(), signal: rpc.signal });
    assert.equal(clone.sourceVolumeId, sourceId);
    assert.equal(getEventListeners(rpc.signal, "abort").length, 0);
  });

  test("a clone cancelled while it waits for its snapshot fails with the cancellation", async () => {
    const sourceId = await source();
    const rpc = new AbortController();
    const cancelled = new Error("rpc cancelled");
    // The abort comes after the snapshot is taken, once the first (minute-long) pause has begun.
    const cancelOnceTaken = () => setTimeout(() => rpc.abort(cancelled), 0);
    const patient = withClonesViaSnapshots(slowSnapshots(Number.POSITIVE_INFINITY, cancelOnceTaken), {
      pollMs: { initial: 60_000, max: 60_000 },
    });
    const failure = await patient
      .createVolume(cloneInput(sourceId), { ...call(), deadline: Date.now() + 120_000, signal: rpc.signal })
      .catch((e: unknown) => e);
    assert.equal(failure, cancelled);
  });

  test("a snapshot still pending at the deadline is Unavailable, and the retry goes on from it", async () => {
    const sourceId = await source();
    const input = cloneInput(sourceId);
    let clock = Date.now();
    const patient = withClonesViaSnapshots(
      {
        ...storage,
        createSnapshot: async (snapshotInput, options) => ({
          ...(await storage.createSnapshot(snapshotInput, options)),
          status: "pending",
          readyToUse: false,
        }),
      },
      {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
        pollMs: { initial: 1_000, max: 1_000 },
      },
    );
    const refused = await patient
      .createVolume(input, { ...call(), deadline: clock + 500 })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof BallastError);
    assert.equal(refused.kind, "Unavailable");
    assert.match(refused.message, /is still pending; a retry goes on from it$/);
    const clone = await withClonesViaSnapshots(storage).createVolume(input, call());
    assert.equal(clone.sourceVolumeId, sourceId);
    const { volumes, snapshot } = await clonesAndSnapshots(input.name);
    assert.equal(volumes.length, 1);
    assert.equal(snapshot, undefined);
  });

  test("a retry naming another source while the first source's snapshot is pending is AlreadyExists and changes nothing", async () => {
    const firstSourceId = await source();
    const otherSourceId = await source();
    const input = cloneInput(firstSourceId);
    let clock = Date.now();
    const pending = withClonesViaSnapshots(
      {
        ...storage,
        createSnapshot: async (snapshotInput, options) => ({
          ...(await storage.createSnapshot(snapshotInput, options)),
          status: "pending",
          readyToUse: false,
        }),
      },
      {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
        pollMs: { initial: 1_000, max: 1_000 },
      },
    );
    await assert.rejects(
      pending.createVolume(input, { ...call(), deadline: clock + 500 }),
      /is still pending/,
    );
    const leftover = (await clonesAndSnapshots(input.name)).snapshot;
    const refused = await withClonesViaSnapshots(storage)
      .createVolume({ ...input, sourceVolumeId: otherSourceId }, call())
      .catch((e: unknown) => e);
    assert.ok(refused instanceof BallastError);
    assert.equal(refused.kind, "AlreadyExists");
    assert.equal(
      refused.message,
      `name: volume ${JSON.stringify(input.name)} is already being cloned from volume ${firstSourceId} (snapshot ${leftover?.id}), incompatible with this request to clone volume ${otherSourceId}`,
    );
    const { volumes, snapshot } = await clonesAndSnapshots(input.name);
    assert.deepEqual(volumes, []);
    assert.equal(snapshot?.id, leftover?.id);
  });
});
