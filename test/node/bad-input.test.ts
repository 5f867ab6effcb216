import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import { type NodeServer, VolumeCapability_AccessMode_Mode } from "../../src/generated/csi.js";
import { createNodeService } from "../../src/node/node-service.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { invoke, recordingExec } from "./device-lab.js";
import { blockCapability, mountCapability } from "./requests.js";

const volumeId = "vol-0123456789abcdef";
const context = { serial: volumeId, byIdPath: `/dev/disk/by-id/virtio-${volumeId}` };

async function driverThatMustNotRun(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), "ballast-bad-input-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const exec = recordingExec();
  const service = await createNodeService({
    exec,
    logger: createLogger("silent"),
    metrics: new Metrics({ defaultMetrics: false }),
    byIdDir: dir,
    stateDir: join(dir, "state"),
    deviceWaitMs: 0,
    udevadmPath: null,
    identity: { nodeId: "i-0123456789abcdef", zone: "zone-a", maxVolumesPerNode: 20 },
  });
  return { handlers: createNodeHandlers(service), exec, dir };
}

function stage(overrides: Record<string, unknown>) {
  return {
    volumeId,
    publishContext: context,
    stagingTargetPath: "/var/lib/kubelet/plugins/staging",
    volumeCapability: mountCapability("ext4"),
    secrets: {},
    volumeContext: {},
    ...overrides,
  };
}

const invalidStages: [string, Record<string, unknown>, RegExp][] = [
  ["missing volume_id", { volumeId: "" }, /volume_id is required/],
  ["missing staging_target_path", { stagingTargetPath: "" }, /staging_target_path is required/],
  ["relative staging path", { stagingTargetPath: "var/lib/x" }, /is not an absolute path/],
  ["staging path with ..", { stagingTargetPath: "/var/lib/../../etc" }, /contains "\." or "\.\." segments/],
  ["missing capability", { volumeCapability: undefined }, /volume_capability is required/],
  ["unknown fsType", { volumeCapability: mountCapability("btrfs") }, /"btrfs" is not a supported filesystem/],
  [
    "injected bind option",
    { volumeCapability: mountCapability("ext4", ["bind"]) },
    /mount option "bind" is not allowed/,
  ],
  [
    "option smuggled in a list",
    { volumeCapability: mountCapability("ext4", ["noatime,remount"]) },
    /mount option "remount" is not allowed/,
  ],
  [
    "prototype key as option",
    { volumeCapability: mountCapability("ext4", ["constructor=1"]) },
    /mount option "constructor" is not allowed/,
  ],
  [
    "xfs-only option on ext4",
    { volumeCapability: mountCapability("ext4", ["nouuid"]) },
    /"nouuid" is not allowed for ext4/,
  ],
  [
    "mkfs option not a number",
    { volumeContext: { blockSize: "4k" } },
    /volume_context.blockSize: "4k" is not a decimal integer/,
  ],
  [
    "absurd block size",
    { volumeContext: { blockSize: "1048576" } },
    /volume_context.blockSize: 1048576 is outside 1024..4096 for ext4/,
  ],
  [
    "serial of another volume",
    { publishContext: { serial: "vol-ffffffffffffffff" } },
    /is not the serial of volume/,
  ],
  ["missing serial", { publishContext: {} }, /publish_context.serial is required/],
  [
    "hint path escaping",
    { publishContext: { serial: volumeId, byIdPath: "../../virtio-vol-0123456789abcdef" } },
    /publish_context.byIdPath/,
  ],
];

describe("bad input is InvalidArgument and runs nothing", () => {
  for (const [name, overrides, message] of invalidStages) {
    test(`NodeStageVolume: ${name}`, async (t) => {
      const { handlers, exec } = await driverThatMustNotRun(t);
      await assert.rejects(invoke(handlers.nodeStageVolume, stage(overrides)), {
        code: status.INVALID_ARGUMENT,
        details: message,
      });
      assert.deepEqual(exec.calls, []);
    });
  }

  test("NodeStageVolume: a multi-node access mode exceeds a block volume's capabilities", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    const capability = mountCapability("ext4", [], VolumeCapability_AccessMode_Mode.MULTI_NODE_MULTI_WRITER);
    await assert.rejects(invoke(handlers.nodeStageVolume, stage({ volumeCapability: capability })), {
      code: status.FAILED_PRECONDITION,
    });
    assert.deepEqual(exec.calls, []);
  });

  test("NodePublishVolume: missing staging_target_path is FailedPrecondition", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodePublishVolume, {
        ...stage({ stagingTargetPath: "" }),
        targetPath: "/var/lib/kubelet/pods/x/mount",
        readonly: false,
      }),
      { code: status.FAILED_PRECONDITION, details: /staging_target_path is required/ },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodePublishVolume: relative target path", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodePublishVolume, { ...stage({}), targetPath: "pods/x/mount", readonly: false }),
      { code: status.INVALID_ARGUMENT, details: /target_path: "pods\/x\/mount" is not an absolute path/ },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeUnpublishVolume: target path with ..", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeUnpublishVolume, { volumeId, targetPath: "/var/lib/kubelet/../../etc" }),
      {
        code: status.INVALID_ARGUMENT,
      },
    );
    assert.deepEqual(exec.calls, []);
  });

  const longComponent = "n".repeat(256);
  type PathCall = (handlers: NodeServer, path: string) => [NodeServer[keyof NodeServer], unknown];
  const pathRpcs: [string, PathCall, string][] = [
    [
      "NodeUnpublishVolume",
      (handlers, path) => [handlers.nodeUnpublishVolume, { volumeId, targetPath: path }],
      "target_path",
    ],
    [
      "NodeUnstageVolume",
      (handlers, path) => [handlers.nodeUnstageVolume, { volumeId, stagingTargetPath: path }],
      "staging_target_path",
    ],
    [
      "NodeStageVolume",
      (handlers, path) => [handlers.nodeStageVolume, stage({ stagingTargetPath: path })],
      "staging_target_path",
    ],
    [
      "NodePublishVolume",
      (handlers, path) => [handlers.nodePublishVolume, { ...stage({}), targetPath: path, readonly: false }],
      "target_path",
    ],
    [
      "NodeGetVolumeStats",
      (handlers, path) => [
        handlers.nodeGetVolumeStats,
        { volumeId, volumePath: path, stagingTargetPath: "" },
      ],
      "volume_path",
    ],
    [
      "NodeExpandVolume",
      (handlers, path) => [
        handlers.nodeExpandVolume,
        { volumeId, volumePath: path, stagingTargetPath: "", secrets: {} },
      ],
      "volume_path",
    ],
  ];
  for (const [rpcName, call, field] of pathRpcs) {
    test(`${rpcName}: a path component over 255 bytes is InvalidArgument naming ${field}`, async (t) => {
      const { handlers, exec } = await driverThatMustNotRun(t);
      const [handler, request] = call(handlers, `/var/lib/kubelet/pods/${longComponent}/mount`);
      await assert.rejects(invoke(handler, request), {
        code: status.INVALID_ARGUMENT,
        details: `${field}: path component "${longComponent}" is 256 bytes, longer than the 255 bytes a file name may have`,
      });
      assert.deepEqual(exec.calls, []);
    });

    test(`${rpcName}: a path of 4096 bytes is InvalidArgument naming ${field}`, async (t) => {
      const { handlers, exec } = await driverThatMustNotRun(t);
      const path = `/var/lib/kubelet${"/d".repeat(2040)}`;
      assert.equal(Buffer.byteLength(path), 4096);
      const [handler, request] = call(handlers, path);
      await assert.rejects(invoke(handler, request), {
        code: status.INVALID_ARGUMENT,
        details: `${field}: path is 4096 bytes, the kernel takes at most 4095 (PATH_MAX 4096 with its terminating NUL)`,
      });
      assert.deepEqual(exec.calls, []);
    });
  }

  test("NodeUnstageVolume: missing volume_id", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(invoke(handlers.nodeUnstageVolume, { volumeId: "", stagingTargetPath: "/x" }), {
      code: status.INVALID_ARGUMENT,
      details: /volume_id is required/,
    });
    assert.deepEqual(exec.calls, []);
  });

  test("NodeExpandVolume: negative required_bytes", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeExpandVolume, {
        volumeId,
        volumePath: "/var/lib/kubelet/pods/x/mount",
        capacityRange: { requiredBytes: -1n, limitBytes: 0n },
        stagingTargetPath: "",
        secrets: {},
      }),
      { code: status.INVALID_ARGUMENT, details: /capacity_range.required_bytes: -1 is negative/ },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeExpandVolume: limit below required", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeExpandVolume, {
        volumeId,
        volumePath: "/var/lib/kubelet/pods/x/mount",
        capacityRange: { requiredBytes: 2n ** 40n, limitBytes: 2n ** 30n },
        stagingTargetPath: "",
        volumeCapability: blockCapability(),
        secrets: {},
      }),
      {
        code: status.INVALID_ARGUMENT,
        details: /limit_bytes 1073741824 is smaller than required_bytes 1099511627776/,
      },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeExpandVolume: a multi-node writer access mode exceeds capabilities, InvalidArgument", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeExpandVolume, {
        volumeId,
        volumePath: "/var/lib/kubelet/pods/x/mount",
        stagingTargetPath: "",
        volumeCapability: mountCapability(
          "ext4",
          [],
          VolumeCapability_AccessMode_Mode.MULTI_NODE_MULTI_WRITER,
        ),
        secrets: {},
      }),
      {
        code: status.INVALID_ARGUMENT,
        details:
          "volume_capability.access_mode MULTI_NODE_MULTI_WRITER is not supported: a block volume is written by one node at a time",
      },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeGetVolumeStats: missing volume_path", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeGetVolumeStats, { volumeId, volumePath: "", stagingTargetPath: "" }),
      { code: status.INVALID_ARGUMENT, details: /volume_path is required/ },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeGetVolumeStats: a path that does not exist is NotFound", async (t) => {
    const { handlers, exec, dir } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeGetVolumeStats, { volumeId, volumePath: join(dir, "gone"), stagingTargetPath: "" }),
      { code: status.NOT_FOUND },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeGetVolumeStats: a relative volume_path is NotFound", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeGetVolumeStats, { volumeId, volumePath: "pods/x/mount", stagingTargetPath: "" }),
      {
        code: status.NOT_FOUND,
        details: 'volume_path: "pods/x/mount" is not an absolute path, so no volume is published there',
      },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeExpandVolume: a relative volume_path is NotFound", async (t) => {
    const { handlers, exec } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeExpandVolume, {
        volumeId,
        volumePath: "pods/x/mount",
        stagingTargetPath: "",
        secrets: {},
      }),
      {
        code: status.NOT_FOUND,
        details: 'volume_path: "pods/x/mount" is not an absolute path, so no volume is published there',
      },
    );
    assert.deepEqual(exec.calls, []);
  });

  test("NodeExpandVolume: a path that does not exist is NotFound", async (t) => {
    const { handlers, exec, dir } = await driverThatMustNotRun(t);
    await assert.rejects(
      invoke(handlers.nodeExpandVolume, {
        volumeId,
        volumePath: join(dir, "gone"),
        stagingTargetPath: "",
        secrets: {},
      }),
      { code: status.NOT_FOUND, details: `volume_path ${join(dir, "gone")} does not exist` },
    );
    assert.deepEqual(exec.calls, []);
  });
});
