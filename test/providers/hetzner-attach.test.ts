import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { startHetznerAdapter } from "./adapter-over-fake.js";
import type { FakeHetzner } from "./hetzner-fake-api.js";

const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-hetzner" };
const attachInput = { readOnly: false, exclusive: true };

describe("Hetzner provider: attaching and detaching", () => {
  let fake: FakeHetzner;
  let storage: BlockStorage;
  beforeEach(async () => {
    ({ fake, storage } = await startHetznerAdapter());
  });
  afterEach(() => fake.close());

  test("attach posts the server, polls the action and names the by-id device", async () => {
    fake.actionPolls = 2;
    fake.addServer(7);
    const volume = fake.addVolume({ name: "pvc-a" });
    const attachment = await storage.attachVolume(String(volume.id), "7", attachInput, options);
    assert.deepEqual(attachment, {
      instanceId: "7",
      serial: "",
      byIdPath: `/dev/disk/by-id/scsi-0HC_Volume_${volume.id}`,
      state: "attached",
      readOnly: false,
    });
    assert.deepEqual(fake.requests.find((r) => r.path.endsWith("/actions/attach"))?.body, { server: 7 });
    assert.equal(fake.calls("GET", /^\/actions\/\d+$/), 2);
    assert.equal(fake.volumes.get(volume.id)?.server, 7);
  });

  test("attaching a volume already attached to that server is success", async () => {
    fake.addServer(7, "fsn1");
    const volume = fake.addVolume({ name: "pvc-a", server: 7 });
    const attachment = await storage.attachVolume(String(volume.id), "7", attachInput, options);
    assert.equal(attachment.instanceId, "7");
    assert.equal(attachment.state, "attached");
  });

  test("attaching a volume attached to another server is FailedPrecondition naming it", async () => {
    fake.addServer(7);
    fake.addServer(8);
    const volume = fake.addVolume({ name: "pvc-a", server: 8 });
    await assert.rejects(storage.attachVolume(String(volume.id), "7", attachInput, options), {
      kind: "FailedPrecondition",
      message: `volume_id: volume ${volume.id} is attached to server 8; Hetzner Cloud attaches a volume to one server`,
    });
  });

  test("a server with 16 volumes answers ResourceExhausted naming the limit", async () => {
    fake.addServer(
      7,
      "fsn1",
      Array.from({ length: 16 }, (_, i) => 1000 + i),
    );
    const volume = fake.addVolume({ name: "pvc-17th" });
    await assert.rejects(storage.attachVolume(String(volume.id), "7", attachInput, options), {
      kind: "ResourceExhausted",
      message: "node_id: server 7 already has 16 volumes attached, the most Hetzner Cloud allows (16)",
    });
    assert.equal(fake.volumes.get(volume.id)?.server, null);
  });

  test("detaching a volume that is not attached is success without a detach action", async () => {
    fake.addServer(7);
    const volume = fake.addVolume({ name: "pvc-a" });
    await storage.detachVolume(String(volume.id), "7", options);
    assert.equal(fake.calls("POST", /\/actions\/detach$/), 0);
  });

  test("detaching from a server the volume is not on leaves its attachment elsewhere alone", async () => {
    fake.addServer(7);
    fake.addServer(8, "fsn1");
    const volume = fake.addVolume({ name: "pvc-a", server: 8 });
    await storage.detachVolume(String(volume.id), "7", options);
    assert.equal(fake.calls("POST", /\/actions\/detach$/), 0);
    assert.equal(fake.volumes.get(volume.id)?.server, 8);
  });

  test("detach polls the action until the volume is off the server", async () => {
    fake.addServer(7, "fsn1");
    const volume = fake.addVolume({ name: "pvc-a", server: 7 });
    await storage.detachVolume(String(volume.id), "7", options);
    assert.equal(fake.volumes.get(volume.id)?.server, null);
    assert.equal(fake.calls("GET", /^\/actions\/\d+$/), 1);
  });

  test("detaching a volume that is gone is success", async () => {
    await storage.detachVolume("4242", "7", options);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ["GET /volumes/4242"],
    );
  });
});
