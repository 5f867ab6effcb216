import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import { createNodeService } from "../../src/node/node-service.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { invoke, recordingExec } from "./device-lab.js";

const volumeId = "vol-0123456789abcdef";

/** A node driver over a temp dir standing in for kubelet's; nothing is mounted under it. */
async function driver(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), "ballast-unmounted-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const exec = recordingExec();
  const service = await createNodeService({
    exec,
    logger: createLogger("silent"),
    metrics: new Metrics({ defaultMetrics: false }),
    byIdDir: join(dir, "by-id"),
    stateDir: join(dir, "state"),
    deviceWaitMs: 0,
    udevadmPath: null,
    identity: { nodeId: "i-0123456789abcdef", zone: "zone-a", maxVolumesPerNode: 20 },
  });
  return { handlers: createNodeHandlers(service), exec, kubelet: join(dir, "kubelet") };
}

describe("unstage and unpublish where nothing of ours is mounted", () => {
  test("NodeUnstageVolume on a non-empty directory that is no mount point is OK and leaves it as it is", async (t) => {
    const { handlers, exec, kubelet } = await driver(t);
    await mkdir(join(kubelet, "pods"), { recursive: true });
    await writeFile(join(kubelet, "kubelet.conf"), "x");
    await invoke(handlers.nodeUnstageVolume, { volumeId, stagingTargetPath: kubelet });
    assert.deepEqual((await readdir(kubelet)).sort(), ["kubelet.conf", "pods"]);
    assert.deepEqual(exec.calls, []);
  });

  test("NodeUnstageVolume on an empty directory removes it", async (t) => {
    const { handlers, kubelet } = await driver(t);
    const staging = join(kubelet, "staging");
    await mkdir(staging, { recursive: true });
    await invoke(handlers.nodeUnstageVolume, { volumeId, stagingTargetPath: staging });
    await assert.rejects(stat(staging), { code: "ENOENT" });
  });

  test("NodeUnstageVolume on a regular file is OK and leaves the file", async (t) => {
    const { handlers, kubelet } = await driver(t);
    await mkdir(kubelet, { recursive: true });
    const file = join(kubelet, "staging");
    await writeFile(file, "keep");
    await invoke(handlers.nodeUnstageVolume, { volumeId, stagingTargetPath: file });
    assert.ok((await stat(file)).isFile());
  });

  test("NodeUnstageVolume on a path that does not exist is OK", async (t) => {
    const { handlers, kubelet } = await driver(t);
    await invoke(handlers.nodeUnstageVolume, { volumeId, stagingTargetPath: join(kubelet, "gone") });
  });

  test("NodeUnpublishVolume on a non-empty directory that is no mount point is OK and leaves it as it is", async (t) => {
    const { handlers, exec, kubelet } = await driver(t);
    const target = join(kubelet, "pods", "p", "volumes");
    await mkdir(join(target, "other"), { recursive: true });
    await invoke(handlers.nodeUnpublishVolume, { volumeId, targetPath: target });
    assert.deepEqual(await readdir(target), ["other"]);
    assert.deepEqual(exec.calls, []);
  });

  test("NodeUnpublishVolume on an empty directory removes it", async (t) => {
    const { handlers, kubelet } = await driver(t);
    const target = join(kubelet, "pods", "p", "mount");
    await mkdir(target, { recursive: true });
    await invoke(handlers.nodeUnpublishVolume, { volumeId, targetPath: target });
    await assert.rejects(stat(target), { code: "ENOENT" });
  });
});
