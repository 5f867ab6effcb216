import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import { type FakeDigitalOcean, refuse } from "./digitalocean-fake-api.js";

const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-digitalocean" };
const attachInput = { readOnly: false, exclusive: true };
const ACTIONS = /^\/v2\/volumes\/[^/]+\/actions$/;
const POLLS = /^\/v2\/volumes\/[^/]+\/actions\/\d+$/;

describe("DigitalOcean provider: attach and detach", () => {
  let fake: FakeDigitalOcean;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startDigitalOceanAdapter({ droplets: [11] }));
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("attach posts the action with the droplet and region, polls it to completion, and names the device by volume name", async () => {
    fake.actionPolls = 3;
    const volume = fake.addVolume({ name: "pvc-a" });
    const attachment = await storage.attachVolume(volume.id as string, "11", attachInput, options);
    const post = fake.requests.find((r) => r.method === "POST" && ACTIONS.test(r.path));
    assert.deepEqual(post?.body, { type: "attach", droplet_id: 11, region: "nyc1" });
    assert.equal(fake.calls("GET", POLLS), 3);
    assert.deepEqual(attachment, {
      instanceId: "11",
      serial: "",
      byIdPath: "/dev/disk/by-id/scsi-0DO_Volume_pvc-a",
      state: "attached",
      readOnly: false,
    });
    assert.deepEqual(fake.volumes.get(volume.id as string)?.droplet_ids, [11]);
  });

  test("a volume the adapter created attaches without reading it first: one post, one poll", async () => {
    const created = await storage.createVolume(
      {
        name: "pvc-new",
        sizeBytes: 1024 ** 3,
        zone: "nyc1",
        type: "do-block-storage",
        encrypted: false,
        tags: {},
      },
      options,
    );
    const before = fake.requests.length;
    await storage.attachVolume(created.id, "11", attachInput, options);
    assert.deepEqual(
      fake.requests.slice(before).map((r) => r.method),
      ["POST", "GET"],
    );
  });

  test("a volume already attached to this droplet is success without an attach", async () => {
    const volume = fake.addVolume({ name: "pvc-here" });
    fake.attach(volume, 11);
    const attachment = await storage.attachVolume(volume.id as string, "11", attachInput, options);
    assert.equal(attachment.byIdPath, "/dev/disk/by-id/scsi-0DO_Volume_pvc-here");
    assert.equal(fake.calls("POST", ACTIONS), 0);
  });

  test("'This volume is already attached' to this droplet is success", async () => {
    const volume = fake.addVolume({ name: "pvc-here" });
    await storage.getVolume(volume.id as string, options);
    fake.attach(volume, 11);
    const attachment = await storage.attachVolume(volume.id as string, "11", attachInput, options);
    assert.equal(fake.calls("POST", ACTIONS), 1);
    assert.equal(attachment.instanceId, "11");
  });

  test("a volume attached to another droplet is FailedPrecondition naming it", async () => {
    fake.addDroplet(12);
    const volume = fake.addVolume({ name: "pvc-there" });
    await storage.getVolume(volume.id as string, options);
    fake.attach(volume, 12);
    await assert.rejects(storage.attachVolume(volume.id as string, "11", attachInput, options), {
      kind: "FailedPrecondition",
      message: `volume_id: volume ${volume.id} is attached to droplet 12; DigitalOcean attaches a volume to one droplet`,
    });
  });

  test("a droplet with 7 volumes is ResourceExhausted naming the limit", async () => {
    const full = Array.from({ length: 7 }, (_, i) => fake.addVolume({ name: `pvc-full-${i}` }));
    for (const v of full) fake.attach(v, 11);
    const volume = fake.addVolume({ name: "pvc-eighth" });
    await assert.rejects(storage.attachVolume(volume.id as string, "11", attachInput, options), {
      kind: "ResourceExhausted",
      message: "node_id: droplet 11 already has 7 volumes attached, the most DigitalOcean allows (7)",
    });
  });

  test("a droplet in another region is FailedPrecondition naming both regions", async () => {
    fake.addDroplet(21, "ams3");
    const volume = fake.addVolume({ name: "pvc-far" });
    await assert.rejects(storage.attachVolume(volume.id as string, "21", attachInput, options), {
      kind: "FailedPrecondition",
      message: `node_id: droplet 21 is in region ams3, volume ${volume.id} in nyc1; DigitalOcean attaches a volume only to droplets of its region`,
    });
  });

  test("a droplet that does not exist is NotFound naming the node", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    await assert.rejects(storage.attachVolume(volume.id as string, "99", attachInput, options), {
      kind: "NotFound",
      message: "node_id: node 99 does not exist",
    });
  });

  test("another action pending on the droplet is Aborted, so the CO retries", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    await storage.getVolume(volume.id as string, options);
    fake.interceptors = [
      refuse(
        (r) => r.method === "POST" && ACTIONS.test(r.path),
        422,
        "unprocessable_entity",
        "Droplet already has a pending event.",
      ),
    ];
    await assert.rejects(storage.attachVolume(volume.id as string, "11", attachInput, options), {
      kind: "Aborted",
      message:
        "DigitalOcean: cloud volumeActions_post_byId: 422 unprocessable_entity: Droplet already has a pending event. (request 4d9d8375-3c56-4925-a3e7-eb137fed17e9)",
    });
  });

  test("an attach action that errors is Internal, naming the action", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    fake.interceptors = [
      (r, res) => {
        if (!(r.method === "GET" && POLLS.test(r.path))) return false;
        const id = Number(r.path.split("/").at(-1));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ action: { id, status: "errored", type: "attach_volume" } }));
        return true;
      },
    ];
    await assert.rejects(
      storage.attachVolume(volume.id as string, "11", attachInput, options),
      (error: Error) => {
        assert.equal((error as { kind?: string }).kind, "Internal");
        assert.match(
          error.message,
          /^DigitalOcean: cloud operation [^ ]+ \(attach_volume\): 422 action_errored: DigitalOcean reports action \d+ \(attach_volume\) on volume [0-9a-f-]+ errored$/,
        );
        return true;
      },
    );
  });

  test("detach posts the action with the droplet, polls it, and the volume is free", async () => {
    fake.actionPolls = 2;
    const volume = fake.addVolume({ name: "pvc-a" });
    fake.attach(volume, 11);
    await storage.detachVolume(volume.id as string, "11", options);
    const post = fake.requests.find((r) => r.method === "POST" && ACTIONS.test(r.path));
    assert.deepEqual(post?.body, { type: "detach", droplet_id: 11 });
    assert.equal(fake.calls("GET", POLLS), 2);
    assert.deepEqual(fake.volumes.get(volume.id as string)?.droplet_ids, []);
  });

  test("'Attachment not found' is success: the volume is already detached", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    await storage.detachVolume(volume.id as string, "11", options);
    assert.equal(fake.calls("POST", ACTIONS), 1);
    assert.equal(fake.calls("GET", /^\/v2\/volumes\/[^/]+$/), 1);
  });

  test("detaching a volume or from a droplet that is gone is success", async () => {
    await storage.detachVolume("0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11", "11", options);
    const volume = fake.addVolume({ name: "pvc-a" });
    await storage.detachVolume(volume.id as string, "99", options);
    await storage.detachVolume(volume.id as string, "not-a-droplet", options);
    assert.equal(fake.calls("POST", ACTIONS), 2);
  });

  test("a refused detach of a volume still attached here keeps the refusal", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    fake.attach(volume, 11);
    fake.interceptors = [
      refuse(
        (r) => r.method === "POST" && ACTIONS.test(r.path),
        422,
        "unprocessable_entity",
        "Droplet already has a pending event.",
      ),
    ];
    await assert.rejects(storage.detachVolume(volume.id as string, "11", options), { kind: "Aborted" });
  });
});
