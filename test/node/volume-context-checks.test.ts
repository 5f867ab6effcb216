import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { StatusObject } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { parseVolumeParameters, resolveFsType } from "../../src/controller/storage-class-parameters.js";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import { createExec } from "../../src/node/exec.js";
import { createNodeService } from "../../src/node/node-service.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { requireRoot } from "../helpers/root.js";
import { DeviceLab, invoke, labDriver, recordingExec, sh, spyingExec } from "./device-lab.js";
import { mountCapability, publishContext, stageRequest } from "./requests.js";

const volumeId = "vol-0123456789abcdef";

/** A node whose device never appears and whose commands all fail: only validation can answer. */
async function nodeWithoutDevices(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), "ballast-context-checks-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const service = await createNodeService({
    exec: recordingExec(),
    logger: createLogger("silent"),
    metrics: new Metrics({ defaultMetrics: false }),
    byIdDir: dir,
    stateDir: join(dir, "state"),
    deviceWaitMs: 0,
    udevadmPath: null,
    identity: { nodeId: "i-0123456789abcdef", zone: "zone-a", maxVolumesPerNode: 20 },
  });
  return createNodeHandlers(service);
}

/** The node's verdict on a NodeStage: its InvalidArgument message, or "accepted" when it got past validation. */
async function nodeVerdict(
  handlers: Awaited<ReturnType<typeof nodeWithoutDevices>>,
  fsType: string,
  volumeContext: Record<string, string>,
  mountFlags: string[] = [],
): Promise<string> {
  const request = {
    volumeId,
    publishContext: { serial: volumeId, byIdPath: `/dev/disk/by-id/virtio-${volumeId}` },
    stagingTargetPath: "/var/lib/kubelet/plugins/ballast/staging",
    volumeCapability: mountCapability(fsType, mountFlags),
    secrets: {},
    volumeContext,
  };
  try {
    await invoke(handlers.nodeStageVolume, request);
    return "accepted";
  } catch (error) {
    const { code, details } = error as StatusObject;
    return code === status.INVALID_ARGUMENT ? details : "accepted";
  }
}

function controllerVerdict(fsType: string, parameters: Record<string, string>): string {
  try {
    resolveFsType(fsType, parseVolumeParameters(parameters));
    return "accepted";
  } catch (error) {
    return (error as Error).message;
  }
}

/** mkfs options either side might get wrong; each is what mkfs or the kernel decides, by hand. */
const MKFS_CASES: Array<[string, Record<string, string>, "accepted" | "refused"]> = [
  ["ext4", { blockSize: "4096", inodeSize: "256" }, "accepted"],
  ["ext4", { blockSize: "1024", inodeSize: "1024" }, "accepted"],
  ["ext4", { blockSize: "65536" }, "refused"],
  ["ext4", { blockSize: "512" }, "refused"],
  ["ext4", { blockSize: "1024", inodeSize: "2048" }, "refused"],
  ["ext4", { blockSize: "4096", bytesPerInode: "1024" }, "refused"],
  ["xfs", { blockSize: "4096", inodeSize: "2048" }, "accepted"],
  ["xfs", { blockSize: "1024", inodeSize: "512" }, "accepted"],
  ["xfs", { blockSize: "8192" }, "refused"],
  ["xfs", { blockSize: "512" }, "refused"],
  ["xfs", { inodeSize: "256" }, "refused"],
  ["xfs", { blockSize: "1024", inodeSize: "1024" }, "refused"],
  ["xfs", { numberOfInodes: "1000" }, "refused"],
];

describe("the node checks the volume context with the controller's rules", () => {
  for (const [fsType, options, expected] of MKFS_CASES) {
    const label = `${fsType} ${JSON.stringify(options)}`;
    test(`${label}: the controller and the node both answer ${expected}`, async (t) => {
      const handlers = await nodeWithoutDevices(t);
      const controller = controllerVerdict(fsType, options);
      const node = await nodeVerdict(handlers, fsType, options);
      assert.equal(controller === "accepted" ? "accepted" : "refused", expected, controller);
      assert.equal(node === "accepted" ? "accepted" : "refused", expected, node);
      if (expected === "refused") {
        assert.equal(node, controller.replace(/^parameters\./, "volume_context."));
      }
    });
  }

  test("an empty capability fs_type takes the fsType of the volume context", async (t) => {
    const handlers = await nodeWithoutDevices(t);
    assert.equal(
      await nodeVerdict(handlers, "", { fsType: "xfs", bytesPerInode: "16384" }),
      "volume_context.bytesPerInode: not supported for filesystem xfs",
    );
  });

  test("mount flags are checked against the volume context's fsType when the capability names none", async (t) => {
    const handlers = await nodeWithoutDevices(t);
    assert.equal(await nodeVerdict(handlers, "", { fsType: "xfs" }, ["nouuid"]), "accepted");
  });

  test("the capability's fs_type wins over the volume context's", async (t) => {
    const handlers = await nodeWithoutDevices(t);
    assert.equal(await nodeVerdict(handlers, "ext4", { fsType: "xfs", bytesPerInode: "16384" }), "accepted");
  });

  test("an unsupported fsType in the volume context is InvalidArgument naming it", async (t) => {
    const handlers = await nodeWithoutDevices(t);
    assert.equal(
      await nodeVerdict(handlers, "", { fsType: "btrfs" }),
      'volume_context.fsType: "btrfs" is not a supported filesystem (ext4, xfs)',
    );
  });
});

describe("the volume context's fsType on a real device", () => {
  test("a capability without fs_type formats, mounts and publishes the volume context's xfs", async (t) => {
    if (!requireRoot(t)) return;
    const lab = await DeviceLab.create();
    t.after(() => lab.cleanup());
    const exec = spyingExec(createExec(createLogger("silent")));
    const { handlers } = await labDriver(lab, { exec });
    const volume = await lab.addVolume(320);
    const staging = lab.path("staging");
    await invoke(
      handlers.nodeStageVolume,
      stageRequest(volume, staging, mountCapability(""), { fsType: "xfs" }),
    );
    assert.deepEqual(
      exec.calls.filter((call) => call[0]?.startsWith("mkfs")).map((call) => call[0]),
      ["mkfs.xfs"],
    );
    assert.equal((await sh("blkid", "-o", "value", "-s", "TYPE", volume.loop)).trim(), "xfs");
    await invoke(handlers.nodePublishVolume, {
      volumeId: volume.volumeId,
      publishContext: publishContext(volume),
      stagingTargetPath: staging,
      targetPath: lab.path("target"),
      volumeCapability: mountCapability(""),
      readonly: false,
      secrets: {},
      volumeContext: { fsType: "xfs" },
    });
    assert.match(await sh("findmnt", "-n", "-o", "FSTYPE", lab.path("target")), /^xfs$/m);
  });
});
