import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveDriverConfig } from "../../src/cli/driver-config.js";
import type { RawDriverOptions } from "../../src/cli/driver-options.js";

const base: RawDriverOptions = {
  driverName: "block.csi.ballast.dev",
  cloudUrl: "http://127.0.0.1:8787",
  cloudQps: "20",
  cloudBurst: "40",
  logLevel: "info",
  drainTimeout: "30",
};
const env = { BALLAST_CLOUD_TOKEN: "secret" };

describe("resolveDriverConfig", () => {
  test("CSI_ENDPOINT is used when --endpoint is not set", async () => {
    const config = await resolveDriverConfig("controller", base, {
      ...env,
      CSI_ENDPOINT: "unix:///csi/csi.sock",
    });
    assert.deepEqual(config.endpoint, { kind: "unix", path: "/csi/csi.sock" });
  });

  test("--endpoint wins over CSI_ENDPOINT", async () => {
    const config = await resolveDriverConfig(
      "controller",
      { ...base, endpoint: "tcp://127.0.0.1:9000" },
      { ...env, CSI_ENDPOINT: "unix:///csi/csi.sock" },
    );
    assert.deepEqual(config.endpoint, { kind: "tcp", host: "127.0.0.1", port: 9000 });
  });

  test("NODE_NAME names the node when --node-name is not set", async () => {
    const config = await resolveDriverConfig("node", base, { ...env, NODE_NAME: "worker-3" });
    assert.equal(config.node?.nodeName, "worker-3");
  });

  test("the token comes from BALLAST_CLOUD_TOKEN when no file is given", async () => {
    const config = await resolveDriverConfig("controller", base, env);
    assert.deepEqual(config.cloud?.token, { value: "secret" });
  });

  test("no token at all is refused", async () => {
    await assert.rejects(resolveDriverConfig("controller", base, {}), {
      message: "--cloud-token-file: is required (or the token in BALLAST_CLOUD_TOKEN)",
    });
  });

  test("a controller has no node config", async () => {
    const config = await resolveDriverConfig("controller", base, env);
    assert.equal(config.node, undefined);
  });

  test("a node reports the standard zone key unless told otherwise", async () => {
    const config = await resolveDriverConfig("node", base, env);
    assert.equal(config.node?.reportStandardZoneKey, true);
  });

  test("--report-standard-zone-key false turns the standard zone key off", async () => {
    const config = await resolveDriverConfig("node", { ...base, reportStandardZoneKey: "false" }, env);
    assert.equal(config.node?.reportStandardZoneKey, false);
  });

  test("--report-standard-zone-key other than true or false is refused", async () => {
    await assert.rejects(resolveDriverConfig("node", { ...base, reportStandardZoneKey: "no" }, env), {
      message: '--report-standard-zone-key: "no" is not true or false',
    });
  });

  test("numbers are converted and seconds become milliseconds", async () => {
    const config = await resolveDriverConfig("all", { ...base, cloudQps: "2.5", deviceWait: "4" }, env);
    assert.equal(config.cloud?.qps, 2.5);
    assert.equal(config.drainTimeoutMs, 30_000);
    assert.equal(config.node?.deviceWaitMs, 4000);
  });

  test("a burst that is not a whole number is refused", async () => {
    await assert.rejects(resolveDriverConfig("controller", { ...base, cloudBurst: "1.5" }, env), {
      message: '--cloud-burst: "1.5" is not a whole number',
    });
  });

  test("a node given its id, zone and attach limit by flags needs no cloud", async () => {
    const { cloudUrl: _, ...withoutCloud } = base;
    const config = await resolveDriverConfig(
      "node",
      { ...withoutCloud, nodeId: "i-0123456789abcdef", zone: "ref-1a", maxVolumesPerNode: "16" },
      {},
    );
    assert.equal(config.cloud, undefined);
    assert.equal(config.node?.maxVolumesPerNode, 16);
  });

  test("a node that must look itself up needs the cloud URL, and the error says how to avoid it", async () => {
    const { cloudUrl: _, ...withoutCloud } = base;
    await assert.rejects(
      resolveDriverConfig("node", { ...withoutCloud, nodeId: "i-0123456789abcdef" }, env),
      {
        message:
          "--cloud-url: is required in node mode unless --node-id, --zone and --max-volumes-per-node are all given (or BALLAST_CLOUD_URL)",
      },
    );
  });

  for (const [flag, key, mode] of [
    ["--driver-name", "driverName", "controller"],
    ["--zone", "zone", "controller"],
    ["--default-volume-type", "defaultVolumeType", "controller"],
    ["--node-id", "nodeId", "node"],
    ["--node-name", "nodeName", "node"],
    ["--by-id-dir", "byIdDir", "node"],
    ["--state-dir", "stateDir", "node"],
  ] as const) {
    test(`an empty ${flag} is refused naming the flag`, async () => {
      await assert.rejects(resolveDriverConfig(mode, { ...base, [key]: "" }, env), {
        message: `${flag}: must not be empty`,
      });
    });
  }

  test("an empty BALLAST_ZONE is refused naming the flag and the variable", async () => {
    await assert.rejects(resolveDriverConfig("node", { ...base, zone: "" }, { ...env, BALLAST_ZONE: "" }), {
      message: "--zone: must not be empty (from BALLAST_ZONE)",
    });
  });

  test("an empty NODE_NAME is refused naming the flag and the variable", async () => {
    await assert.rejects(resolveDriverConfig("node", base, { ...env, NODE_NAME: "" }), {
      message: "--node-name: must not be empty (from NODE_NAME)",
    });
  });

  test("a controller always needs the cloud URL", async () => {
    const { cloudUrl: _, ...withoutCloud } = base;
    await assert.rejects(resolveDriverConfig("controller", withoutCloud, env), {
      message: "--cloud-url: is required (or BALLAST_CLOUD_URL)",
    });
  });
});
