import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeLabels } from "../../src/providers/hetzner/labels.js";
import { type FaceCloud, startFace } from "../cloud-sim/face-harness.js";
import { DigitalOceanInventory } from "./inventory-digitalocean.js";
import { HetznerInventory } from "./inventory-hetzner.js";
import { leftovers } from "./storm-report.js";

const LOCAL_ID = "7000000";
const REMOTE_ID = "7000001";

function instances(zone: string) {
  return [
    { id: LOCAL_ID, name: "here", zone, maxAttachedVolumes: 16, local: true },
    { id: REMOTE_ID, name: "remote", zone, maxAttachedVolumes: 16 },
  ];
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`${what} never happened`);
}

/** The storm's checks must see what a faulty driver would leave behind, or they could never fail. */
describe("the storm's DigitalOcean inventory", { concurrency: true }, () => {
  async function doCloud(t: Parameters<typeof startFace>[0]): Promise<FaceCloud> {
    return startFace(t, "digitalocean", { instances: instances("nyc1"), apiRateLimit: false });
  }

  async function volume(c: FaceCloud, name: string, description?: string): Promise<string> {
    const created = await c.call("POST", "/v2/volumes", {
      name,
      size_gigabytes: 1,
      region: "nyc1",
      ...(description === undefined ? {} : { description }),
    });
    assert.equal(created.status, 201);
    return created.body.volume.id;
  }

  test("reads the CO name from the description's JSON, an attachment from droplet_ids and the droplet's volumes", async (t) => {
    const c = await doCloud(t);
    const ours = await volume(c, "storm-ab-v1", JSON.stringify({ "ballast.dev/csi-name": "storm-ab-v1" }));
    const foreign = await volume(c, "someone-else", "a volume a person made");
    const attach = await c.call("POST", `/v2/volumes/${ours}/actions`, {
      type: "attach",
      droplet_id: Number(REMOTE_ID),
    });
    assert.equal(attach.status, 202);
    await until("the attach", async () => {
      const got = await c.call("GET", `/v2/volumes/${ours}`);
      return got.body.volume.droplet_ids.length === 1;
    });
    const reader = new DigitalOceanInventory(c.cloud.apiUrl, c.cloud.token, [LOCAL_ID, REMOTE_ID]);
    const inventory = await reader.read();
    assert.deepEqual(
      inventory.volumes.map((v) => [v.id, v.coName, v.attachments]).sort(),
      [
        [ours, "storm-ab-v1", [`${REMOTE_ID} (attached)`]],
        [foreign, undefined, []],
      ].sort(),
    );
    assert.deepEqual(inventory.instances, [
      { id: LOCAL_ID, attachedVolumeIds: [] },
      { id: REMOTE_ID, attachedVolumeIds: [ours] },
    ]);
    assert.deepEqual(leftovers(inventory, "storm-ab"), {
      leaks: { volumes: [`${ours} (storm-ab-v1, available)`], snapshots: [] },
      attachmentsLeft: [`${ours} on ${REMOTE_ID} (attached)`],
    });
  });

  test("finds a snapshot whose volume is gone only by its id, on a thorough read", async (t) => {
    const c = await doCloud(t);
    const source = await volume(c, "storm-cd-v1", JSON.stringify({ "ballast.dev/csi-name": "storm-cd-v1" }));
    const snap = await c.call("POST", `/v2/volumes/${source}/snapshots`, { name: "storm-cd-v1-snap" });
    assert.equal(snap.status, 201);
    const snapshotId: string = snap.body.snapshot.id;
    const reader = new DigitalOceanInventory(c.cloud.apiUrl, c.cloud.token, [LOCAL_ID, REMOTE_ID]);
    assert.deepEqual((await reader.read()).snapshots, [
      { id: snapshotId, coName: "storm-cd-v1-snap", status: "available" },
    ]);
    assert.equal((await c.call("DELETE", `/v2/volumes/${source}`)).status, 204);
    assert.deepEqual((await reader.read()).snapshots, [], "no listing shows a deleted volume's snapshots");
    const thorough = await reader.read({ thorough: true });
    assert.deepEqual(thorough.snapshots, [
      { id: snapshotId, coName: "storm-cd-v1-snap", status: "of a deleted volume" },
    ]);
    assert.deepEqual(leftovers(thorough, "storm-cd").leaks, {
      volumes: [],
      snapshots: [`${snapshotId} (storm-cd-v1-snap, of a deleted volume)`],
    });
  });

  test("a snapshot id the workers were answered with is looked for even if no listing ever showed it", async (t) => {
    const c = await doCloud(t);
    const source = await volume(c, "storm-ef-v1");
    const snap = await c.call("POST", `/v2/volumes/${source}/snapshots`, { name: "storm-ef-v1-snap" });
    await c.call("DELETE", `/v2/volumes/${source}`);
    const reader = new DigitalOceanInventory(c.cloud.apiUrl, c.cloud.token, [LOCAL_ID, REMOTE_ID]);
    reader.remember("snapshot", snap.body.snapshot.id);
    reader.remember("snapshot", "00000000-0000-4000-8000-000000000000");
    const thorough = await reader.read({ thorough: true });
    assert.deepEqual(
      thorough.snapshots.map((s) => s.id),
      [snap.body.snapshot.id],
    );
  });

  test("reads through the storm's faults: a request that fails is asked again", async (t) => {
    const c = await doCloud(t);
    await volume(c, "storm-gh-v1", JSON.stringify({ "ballast.dev/csi-name": "storm-gh-v1" }));
    c.cloud.setFaults({
      rules: [
        { operation: "volumes_list", kind: "error", status: 503, count: 2 },
        { operation: "droplets_get", kind: "dropConnection", count: 2 },
      ],
    });
    const reader = new DigitalOceanInventory(c.cloud.apiUrl, c.cloud.token, [LOCAL_ID, REMOTE_ID]);
    const inventory = await reader.read();
    assert.deepEqual(
      inventory.volumes.map((v) => v.coName),
      ["storm-gh-v1"],
    );
    assert.equal(inventory.instances.length, 2);
  });
});

describe("the storm's Hetzner inventory", { concurrency: true }, () => {
  test("reads the CO name from the labels, decoding one the label grammar could not carry, and the server's volumes", async (t) => {
    const c = await startFace(t, "hetzner", { instances: instances("fsn1"), apiRateLimit: false });
    const create = async (name: string, coName: string) => {
      const created = await c.call("POST", "/volumes", {
        name,
        size: 10,
        location: "fsn1",
        labels: encodeLabels({ "ballast.dev/csi-name": coName, "ballast.dev/managed-by": "block.csi" }),
      });
      assert.equal(created.status, 201);
      const id = String(created.body.volume.id);
      // Hetzner answers a create while the volume is still `creating`; an attach before then is 423 locked.
      await until(
        "the create",
        async () => (await c.call("GET", `/volumes/${id}`)).body.volume.status === "available",
      );
      return id;
    };
    const plain = await create("storm-ij-v1", "storm-ij-v1");
    const encoded = await create("csi-0123", "storm-ij/with a slash");
    const attach = await c.call("POST", `/volumes/${plain}/actions/attach`, { server: Number(REMOTE_ID) });
    assert.equal(attach.status, 201);
    await until("the attach", async () => {
      const got = await c.call("GET", `/volumes/${plain}`);
      return got.body.volume.server !== null;
    });
    const reader = new HetznerInventory(c.cloud.apiUrl, c.cloud.token, [LOCAL_ID, REMOTE_ID]);
    const inventory = await reader.read({ thorough: true });
    assert.deepEqual(
      inventory.volumes.map((v) => [v.id, v.coName, v.attachments]).sort(),
      [
        [plain, "storm-ij-v1", [`${REMOTE_ID} (attached)`]],
        [encoded, "storm-ij/with a slash", []],
      ].sort(),
    );
    assert.deepEqual(inventory.snapshots, []);
    assert.deepEqual(inventory.instances, [
      { id: LOCAL_ID, attachedVolumeIds: [] },
      { id: REMOTE_ID, attachedVolumeIds: [plain] },
    ]);
    assert.deepEqual(leftovers(inventory, "storm-ij").attachmentsLeft, [
      `${plain} on ${REMOTE_ID} (attached)`,
    ]);
  });

  test("pages through more volumes than one page holds", async (t) => {
    const c = await startFace(t, "hetzner", { instances: instances("fsn1"), apiRateLimit: false });
    const ids: string[] = [];
    for (let n = 0; n < 52; n += 1) {
      const created = await c.call("POST", "/volumes", {
        name: `storm-kl-v${n}`,
        size: 10,
        location: "fsn1",
      });
      ids.push(String(created.body.volume.id));
    }
    const reader = new HetznerInventory(c.cloud.apiUrl, c.cloud.token, [LOCAL_ID, REMOTE_ID]);
    const inventory = await reader.read();
    assert.deepEqual(inventory.volumes.map((v) => v.id).sort(), ids.sort());
  });
});
