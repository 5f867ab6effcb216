import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { type ReferenceCloud, startReferenceCloud } from "../../src/cloud-sim/index.js";
import type { components } from "../../src/generated/block-storage.v1.js";
import { requireRoot } from "../helpers/root.js";
import {
  GiB,
  localInstance,
  sharedContract,
  startTestCloud,
  type TestCloud,
  uniqueName,
  wrap,
} from "./harness.js";

type Schemas = components["schemas"];
const run = promisify(execFile);
const PATTERN_BYTES = 4 * 1024 * 1024;

async function attachLocal(
  c: TestCloud,
  volumeId: string,
  instanceId: string,
): Promise<Schemas["Attachment"]> {
  const operation = await c.done("POST", `/v1/volumes/${volumeId}/attachments`, { instanceId });
  return operation.attachment as Schemas["Attachment"];
}

async function deviceOf(byIdPath: string): Promise<string> {
  return (await run("readlink", ["-f", byIdPath])).stdout.trim();
}

async function sizeOf(device: string): Promise<number> {
  return Number((await run("blockdev", ["--getsize64", device])).stdout.trim());
}

async function checksum(device: string): Promise<string> {
  const { stdout } = await run("sh", [
    "-c",
    'head -c "$1" "$2" | sha256sum',
    "sh",
    String(PATTERN_BYTES),
    device,
  ]);
  return stdout.split(" ")[0] as string;
}

async function loopsOver(file: string): Promise<string> {
  return (await run("losetup", ["--associated", file])).stdout.trim();
}

test("attach makes a by-id link to a loop device of the volume's size", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instance = await localInstance(c);
  const volume = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
  const attachment = await attachLocal(c, volume.resourceId, instance);
  assert.equal(attachment.byIdPath, join(c.cloud.byIdDir, `virtio-${volume.resourceId}`));
  const device = await deviceOf(attachment.byIdPath);
  assert.match(device, /^\/dev\/loop\d+$/);
  assert.equal(attachment.devicePath, device);
  assert.equal(await sizeOf(device), GiB);
});

test("attach makes a loop device that reads and writes the volume file with direct I/O", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instance = await localInstance(c);
  const volume = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
  const device = await deviceOf((await attachLocal(c, volume.resourceId, instance)).byIdPath);
  const { stdout } = await run("losetup", ["--list", "--json", "--output", "NAME,DIO", device]);
  assert.deepEqual(JSON.parse(stdout), { loopdevices: [{ name: device, dio: true }] });
});

test("data written to a volume comes back from a snapshot restore and a clone", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instance = await localInstance(c);
  const source = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
  const sourceDevice = await deviceOf((await attachLocal(c, source.resourceId, instance)).byIdPath);
  const pattern = join(c.dir, "pattern.bin");
  await writeFile(pattern, randomBytes(PATTERN_BYTES));
  await run("dd", [`if=${pattern}`, `of=${sourceDevice}`, "bs=1M", "conv=fsync", "status=none"]);
  const expected = await checksum(sourceDevice);

  const snapshot = await c.done("POST", "/v1/snapshots", {
    name: uniqueName("snap"),
    sourceVolumeId: source.resourceId,
  });
  const restored = await c.done("POST", "/v1/volumes", {
    name: uniqueName("vol"),
    zone: "ref-1a",
    sourceSnapshotId: snapshot.resourceId,
  });
  const clone = await c.done("POST", "/v1/volumes", {
    name: uniqueName("vol"),
    zone: "ref-1a",
    sourceVolumeId: source.resourceId,
  });
  const restoredDevice = await deviceOf((await attachLocal(c, restored.resourceId, instance)).byIdPath);
  const cloneDevice = await deviceOf((await attachLocal(c, clone.resourceId, instance)).byIdPath);
  assert.equal(await checksum(restoredDevice), expected);
  assert.equal(await checksum(cloneDevice), expected);
});

test("resize grows the attached loop device", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instance = await localInstance(c);
  const volume = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
  const device = await deviceOf((await attachLocal(c, volume.resourceId, instance)).byIdPath);
  await c.done("POST", `/v1/volumes/${volume.resourceId}/resize`, { sizeGiB: 3 });
  assert.equal(await sizeOf(device), 3 * GiB);
});

test("detach leaves no loop device and no link behind", async (t) => {
  if (!requireRoot(t)) return;
  const c = await startTestCloud(t);
  const instance = await localInstance(c);
  const volume = await c.done("POST", "/v1/volumes", { name: uniqueName("vol"), zone: "ref-1a", sizeGiB: 1 });
  const attachment = await attachLocal(c, volume.resourceId, instance);
  const image = join(c.cloud.dataDir, "volumes", `${volume.resourceId}.img`);
  // Seen while attached, so "none after detach" is not just a wrong file name.
  assert.match(await loopsOver(image), new RegExp(`^${await deviceOf(attachment.byIdPath)}: `));
  await c.done("DELETE", `/v1/volumes/${volume.resourceId}/attachments/${instance}`);
  await assert.rejects(run("readlink", [attachment.byIdPath]));
  assert.equal(await loopsOver(image), "");
});

test("a restart brings back the loop device of an attached volume", async (t) => {
  if (!requireRoot(t)) return;
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-restart-"));
  const config = { dataDir: join(dir, "data"), byIdDir: join(dir, "by-id"), operationLatencyMs: 10 };
  const clouds: ReferenceCloud[] = [];
  t.after(async () => {
    for (const cloud of clouds.reverse()) await cloud.close({ detachLocalDevices: true });
    await rm(dir, { recursive: true, force: true });
  });
  const start = async () => {
    const cloud = await startReferenceCloud(config, { contract: sharedContract() });
    clouds.push(cloud);
    return wrap(cloud, dir);
  };
  const first = await start();
  const instance = await localInstance(first);
  const volume = await first.done("POST", "/v1/volumes", {
    name: uniqueName("vol"),
    zone: "ref-1a",
    sizeGiB: 1,
  });
  const attachment = await attachLocal(first, volume.resourceId, instance);
  await first.cloud.close({ detachLocalDevices: true });
  await assert.rejects(run("readlink", [attachment.byIdPath]));

  const second = await start();
  const device = await deviceOf(attachment.byIdPath);
  assert.match(device, /^\/dev\/loop\d+$/);
  const fetched = await second.call<Schemas["Attachment"]>(
    "GET",
    `/v1/volumes/${volume.resourceId}/attachments/${instance}`,
  );
  assert.equal(fetched.body.devicePath, device);
});

test("a restart detaches a loop device over a volume file that no attachment explains", async (t) => {
  if (!requireRoot(t)) return;
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-stray-"));
  const config = { dataDir: join(dir, "data"), byIdDir: join(dir, "by-id"), operationLatencyMs: 10 };
  const clouds: ReferenceCloud[] = [];
  let stray: string | undefined;
  t.after(async () => {
    for (const cloud of clouds.reverse()) await cloud.close({ detachLocalDevices: true });
    if (stray !== undefined) await run("losetup", ["--detach", stray]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  const first = wrap(await startReferenceCloud(config, { contract: sharedContract() }), dir);
  clouds.push(first.cloud);
  const volume = await first.done("POST", "/v1/volumes", {
    name: uniqueName("vol"),
    zone: "ref-1a",
    sizeGiB: 1,
  });
  await first.cloud.close();
  const file = join(config.dataDir, "volumes", `${volume.resourceId}.img`);
  stray = (await run("losetup", ["--find", "--show", file])).stdout.trim();

  clouds.push(await startReferenceCloud(config, { contract: sharedContract() }));
  assert.equal(await loopsOver(file), "");
});
