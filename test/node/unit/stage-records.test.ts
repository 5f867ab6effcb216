import assert from "node:assert/strict";
import { test } from "node:test";
import { StageRecords } from "../../../src/node/stage-records.js";
import { FakeHost } from "../fakes/fake-host.js";

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
