import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { resolveDriverConfig } from "../../src/cli/driver-config.js";
import { addDriverOptions, type RawDriverOptions } from "../../src/cli/driver-options.js";
import { ballastProvider } from "../../src/providers/ballast/index.js";
import { hetznerProvider } from "../../src/providers/hetzner/index.js";
import { loadProvider } from "../../src/providers/registry.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const base: RawDriverOptions = {
  driverName: "block.csi.ballast.dev",
  cloudUrl: "http://127.0.0.1:8787",
  logLevel: "info",
  drainTimeout: "30",
};
const env = { BALLAST_CLOUD_TOKEN: "secret" };

describe("--cloud-provider", () => {
  test("defaults to ballast", async () => {
    const config = await resolveDriverConfig("controller", base, env);
    assert.equal(config.provider, "ballast");
  });

  test("accepts digitalocean", async () => {
    const config = await resolveDriverConfig("controller", { ...base, cloudProvider: "digitalocean" }, env);
    assert.equal(config.provider, "digitalocean");
  });

  test("an unknown value is InvalidArgument naming the value and the choices", async () => {
    await assert.rejects(resolveDriverConfig("controller", { ...base, cloudProvider: "aws" }, env), {
      kind: "InvalidArgument",
      message: '--cloud-provider: "aws" is not a provider (ballast, digitalocean, hetzner)',
    });
  });

  test("accepts hetzner", async () => {
    const config = await resolveDriverConfig("node", { ...base, cloudProvider: "hetzner" }, env);
    assert.equal(config.provider, "hetzner");
  });

  test("falls back to BALLAST_CLOUD_PROVIDER", () => {
    const command = addDriverOptions(new Command("controller").exitOverride(), "controller");
    const saved = process.env.BALLAST_CLOUD_PROVIDER;
    process.env.BALLAST_CLOUD_PROVIDER = "digitalocean";
    try {
      command.parse([], { from: "user" });
    } finally {
      if (saved === undefined) delete process.env.BALLAST_CLOUD_PROVIDER;
      else process.env.BALLAST_CLOUD_PROVIDER = saved;
    }
    assert.equal(command.opts<RawDriverOptions>().cloudProvider, "digitalocean");
  });

  test("`ballast controller --cloud-provider aws` exits 2 with one line naming the value", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "controller",
        "--cloud-provider",
        "aws",
        "--cloud-url",
        "http://127.0.0.1:1",
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH, BALLAST_CLOUD_TOKEN: "secret" } },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--cloud-provider: "aws" is not a provider \(ballast, digitalocean, hetzner\)/);
  });
});

describe("--metadata-url and the rate limit flags", () => {
  test("--metadata-url must be an http(s) URL", async () => {
    await assert.rejects(
      resolveDriverConfig("node", { ...base, metadataUrl: "ftp://169.254.169.254" }, env),
      {
        message: '--metadata-url: "ftp://169.254.169.254" must be http:// or https://',
      },
    );
  });

  test("--metadata-url reaches the node config", async () => {
    const config = await resolveDriverConfig("node", { ...base, metadataUrl: "http://127.0.0.1:9000" }, env);
    assert.equal(config.node?.metadataUrl, "http://127.0.0.1:9000");
  });

  test("--cloud-qps and --cloud-burst are left to the provider when unset", async () => {
    const config = await resolveDriverConfig("controller", base, env);
    assert.deepEqual([config.cloud?.qps, config.cloud?.burst], [undefined, undefined]);
  });
});

describe("the provider registry", () => {
  test("loads the ballast provider", async () => {
    assert.equal(await loadProvider("ballast"), ballastProvider);
  });

  test("loads the hetzner provider", async () => {
    assert.equal(await loadProvider("hetzner"), hetznerProvider);
  });
});
