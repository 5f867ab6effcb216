import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { credentials } from "@grpc/grpc-js";
import { NodeClient } from "../../src/generated/csi.js";
import { requireRoot } from "../helpers/root.js";
import { checksumOf, DeviceLab, invoke, labDriver, writeChecksummed } from "./device-lab.js";
import { mountCapability, publishRequest, stageRequest } from "./requests.js";

const entry = fileURLToPath(new URL("./driver-entry.ts", import.meta.url));

async function startDriver(socket: string, byIdDir: string): Promise<ChildProcess> {
  await rm(socket, { force: true });
  const child = spawn(process.execPath, ["--import", "tsx", entry, socket, byIdDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout?.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`driver exited with ${code} before it was ready`)));
    child.stdout?.on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("ready")) resolve();
    });
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

function call<Req, Res>(client: InstanceType<typeof NodeClient>, method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (r: Req, cb: (e: Error | null, v: Res) => void) => void>)[
      method
    ];
    fn?.call(client, request, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

describe("driver restart", () => {
  test("killing the driver between stage and publish changes nothing; no double mounts", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    const children: ChildProcess[] = [];
    t.after(async () => {
      for (const child of children) await kill(child);
      await lab.cleanup();
    });
    const socket = join(lab.root, "csi.sock");
    const volume = await lab.addVolume(64);
    const staging = lab.path("staging");
    const target = lab.path("target");
    const capability = mountCapability("ext4");

    const first = await startDriver(socket, lab.byIdDir);
    children.push(first);
    const client1 = new NodeClient(`unix://${socket}`, credentials.createInsecure());
    await call(client1, "nodeStageVolume", stageRequest(volume, staging, capability));
    const written = await writeChecksummed(join(staging, "before-kill.bin"));
    client1.close();
    await kill(first);

    const second = await startDriver(socket, lab.byIdDir);
    children.push(second);
    const client2 = new NodeClient(`unix://${socket}`, credentials.createInsecure());
    t.after(() => client2.close());
    await call(client2, "nodeStageVolume", stageRequest(volume, staging, capability));
    await call(client2, "nodePublishVolume", publishRequest(volume, staging, target, capability));
    await call(client2, "nodePublishVolume", publishRequest(volume, staging, target, capability));

    const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
    const count = (path: string) => mountinfo.split("\n").filter((line) => line.includes(` ${path} `)).length;
    assert.equal(count(staging), 1);
    assert.equal(count(target), 1);
    assert.equal(await checksumOf(join(target, "before-kill.bin")), written);
    const sum = await writeChecksummed(join(target, "data.bin"));
    assert.equal(await checksumOf(join(staging, "data.bin")), sum);

    await call(client2, "nodeUnpublishVolume", { volumeId: volume.volumeId, targetPath: target });
    await call(client2, "nodeUnstageVolume", { volumeId: volume.volumeId, stagingTargetPath: staging });
    assert.deepEqual(await lab.mountsUnder(), []);
  });

  test("a node service started over staged and published volumes reports them before any call", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const volume = await lab.addVolume(64);
    const staging = lab.path("staging");
    const capability = mountCapability("ext4");
    const before = await labDriver(lab);
    await invoke(before.handlers.nodeStageVolume, stageRequest(volume, staging, capability));
    for (const pod of ["a", "b"]) {
      const target = lab.path("pods", pod, "mount");
      await invoke(before.handlers.nodePublishVolume, publishRequest(volume, staging, target, capability));
    }

    const { metrics } = await labDriver(lab);

    assert.equal((await metrics.nodeVolumesStaged.get()).values[0]?.value, 1);
    assert.equal((await metrics.nodeVolumesPublished.get()).values[0]?.value, 2);
  });
});
