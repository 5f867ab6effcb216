import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { StageRecords } from "../../../src/node/stage-records.js";
import { FakeHost } from "../fakes/fake-host.js";
import { FAKE_STATE_DIR, FakeNodeWorld, stageRequest } from "../fakes/fake-node.js";

const DIRECTORY = "/var/lib/ballast/stages";
const VOLUME = "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11";

test("a remembered publish context is found again, and is gone once forgotten", async () => {
  const records = new StageRecords(new FakeHost(), DIRECTORY);
  const hint = { serial: "", byIdPath: "/dev/disk/by-id/scsi-0DO_Volume_pvc-1" };
  await records.remember(VOLUME, hint);
  assert.deepEqual(await records.find(VOLUME), hint);
  await records.forget(VOLUME);
  assert.equal(await records.find(VOLUME), undefined);
});

test("a record file that is not JSON, or names another volume, is no record", async () => {
  const host = new FakeHost();
  const records = new StageRecords(host, DIRECTORY);
  await host.mkdirp(DIRECTORY);
  host.writeFile(`${DIRECTORY}/${VOLUME}.stage.json`, "{ torn");
  assert.equal(await records.find(VOLUME), undefined);
  host.writeFile(`${DIRECTORY}/${VOLUME}.stage.json`, JSON.stringify({ volumeId: "other", serial: "" }));
  assert.equal(await records.find(VOLUME), undefined);
});

test("remembering the context already on disk writes nothing; another context is written", async () => {
  const host = new FakeHost();
  let writes = 0;
  const write = host.writeDurably.bind(host);
  host.writeDurably = (path, text) => {
    writes += 1;
    return write(path, text);
  };
  const records = new StageRecords(host, DIRECTORY);
  await records.remember(VOLUME, { serial: "", byIdPath: "/dev/disk/by-id/scsi-0DO_Volume_pvc-1" });
  await records.remember(VOLUME, { serial: "", byIdPath: "/dev/disk/by-id/scsi-0DO_Volume_pvc-1" });
  assert.equal(writes, 1);
  await records.remember(VOLUME, { serial: "", byIdPath: "/dev/disk/by-id/scsi-0DO_Volume_pvc-2" });
  assert.equal(writes, 2);
});

test("a volume whose link the provider names from its id alone is staged without a record", async () => {
  const world = await FakeNodeWorld.create();
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume, "ext4"));
  assert.deepEqual(await world.host.readdir(join(FAKE_STATE_DIR, "stages")), []);
});
