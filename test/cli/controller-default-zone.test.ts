import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CloudAccess } from "../../src/cli/cloud-access.js";
import type { DriverConfig } from "../../src/cli/driver-config.js";
import { controllerDefaultZone, createDriverController } from "../../src/cli/driver-controller.js";
import { type RunningDriver, startDriver } from "../../src/cli/run-driver.js";
import { createCsiClient } from "../../src/demo/csi-client.js";
import { VolumeCapability_AccessMode_Mode } from "../../src/generated/csi.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { DIGITALOCEAN_ZONES } from "../../src/providers/digitalocean/resources.js";
import { loadProvider } from "../../src/providers/registry.js";
import { CapturedLog } from "../observability/csi-harness.js";
import { FakeDigitalOcean } from "../providers/digitalocean-fake-api.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
const GiB = 1024 ** 3;
const MOUNT = {
  accessType: { $case: "mount" as const, value: { fsType: "ext4", mountFlags: [], volumeMountGroup: "" } },
  accessMode: { mode: VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER },
};

/** A cloud's metadata service on 127.0.0.1: fixed plain-text answers by path, every request recorded. */
class FakeMetadata {
  readonly requests: string[] = [];
  private readonly server: Server;

  private constructor(answers: Record<string, string> | "never") {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? "");
      if (answers === "never") return;
      const body = answers[req.url ?? ""];
      res.writeHead(body === undefined ? 404 : 200, { "content-type": "text/plain" });
      res.end(body ?? "not found");
    });
  }

  static async start(answers: Record<string, string> | "never"): Promise<FakeMetadata> {
    const fake = new FakeMetadata(answers);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const droplet = (region: string) => ({ "/metadata/v1/id": "424242", "/metadata/v1/region": region });

/** A port nothing listens on: a metadata service that is down. */
async function closedPortUrl(): Promise<string> {
  const fake = await FakeMetadata.start({});
  const url = fake.url;
  await fake.close();
  return url;
}

describe("a DigitalOcean controller's default zone", () => {
  let dir: string;
  let api: FakeDigitalOcean;
  let driver: RunningDriver | undefined;
  let metadata: FakeMetadata | undefined;
  let log: CapturedLog;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-default-zone-"));
    api = await FakeDigitalOcean.start();
    log = new CapturedLog();
  });
  afterEach(async () => {
    await driver?.stop();
    driver = undefined;
    await metadata?.close();
    metadata = undefined;
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (fields: Pick<DriverConfig, "zone" | "metadataUrl">): Promise<RunningDriver> => {
    const socket = join(dir, "controller.sock");
    driver = await startDriver(
      {
        mode: "controller",
        endpoint: { kind: "unix", path: socket },
        driverName: "block.csi.ballast.dev",
        provider: "digitalocean",
        cloud: { url: api.url, token: { value: "test-token" }, qps: 1000, burst: 1000 },
        defaultVolumeType: "balanced",
        logLevel: "info",
        drainTimeoutMs: 5000,
        ...fields,
      },
      { logger: createLogger("info", log.stream), metrics: new Metrics(), vendorVersion: "test" },
    );
    return driver;
  };

  /** The region of the one volume a CreateVolume without accessibility requirements made. */
  const regionOfUnconstrainedVolume = async (): Promise<unknown> => {
    const csi = createCsiClient(`unix://${join(dir, "controller.sock")}`, 10_000);
    try {
      await csi.controller.createVolume({
        name: "pvc-no-topology",
        capacityRange: { requiredBytes: GiB },
        volumeCapabilities: [MOUNT],
      });
    } finally {
      csi.close();
    }
    const posts = api.requests.filter((r) => r.method === "POST" && r.path === "/v2/volumes");
    assert.equal(posts.length, 1);
    return (posts[0]?.body as { region?: unknown } | undefined)?.region;
  };

  const messages = (level: "info" | "warn") =>
    log
      .records()
      .filter((record) => record.level === level)
      .map((record) => record.msg);

  test("without --zone, a volume without topology requirements goes to the droplet's region from the metadata service", async () => {
    metadata = await FakeMetadata.start(droplet("fra1"));
    await start({ metadataUrl: metadata.url });
    assert.equal(await regionOfUnconstrainedVolume(), "fra1");
    assert.ok(
      messages("info").includes(
        `default zone fra1, this machine's zone from the digitalocean metadata service at ${metadata.url}`,
      ),
      log.text,
    );
  });

  test("--zone wins: the metadata service is not asked", async () => {
    metadata = await FakeMetadata.start(droplet("fra1"));
    await start({ zone: "nyc3", metadataUrl: metadata.url });
    assert.equal(await regionOfUnconstrainedVolume(), "nyc3");
    assert.deepEqual(metadata.requests, []);
    assert.ok(messages("info").includes("default zone nyc3, from --zone"), log.text);
  });

  test("a metadata service that is down leaves no default zone, with one warning naming --zone, and the controller serves", async () => {
    const url = await closedPortUrl();
    await start({ metadataUrl: url });
    assert.equal(await regionOfUnconstrainedVolume(), DIGITALOCEAN_ZONES[0]?.name);
    const warnings = messages("warn").filter((msg) => String(msg).startsWith("no default zone"));
    assert.equal(warnings.length, 1, log.text);
    const port = new URL(url).port;
    assert.match(
      String(warnings[0]),
      new RegExp(
        `^no default zone: the digitalocean metadata service at ${url} did not tell this machine's zone \\(DigitalOcean metadata ${url}/metadata/v1/(id|region): connect ECONNREFUSED 127\\.0\\.0\\.1:${port} .*\\); volumes created without topology requirements go to the cloud's first zone; set --zone to choose it$`,
      ),
    );
  });
});

describe("createDriverController", () => {
  test("a config that names the metadata service only for its node (ballast dev) asks it there", async () => {
    const api = await FakeDigitalOcean.start();
    const metadata = await FakeMetadata.start(droplet("blr1"));
    const log = new CapturedLog();
    const logger = createLogger("info", log.stream);
    const metrics = new Metrics();
    try {
      const provider = await loadProvider("digitalocean");
      const access = new CloudAccess(provider, {
        baseUrl: api.url,
        token: { value: "test-token" },
        metrics,
        logger,
        userAgent: "ballast/test",
        driverName: "block.csi.ballast.dev",
      });
      await createDriverController(
        {
          mode: "all",
          endpoint: { kind: "unix", path: "/unused.sock" },
          driverName: "block.csi.ballast.dev",
          provider: "digitalocean",
          defaultVolumeType: "balanced",
          logLevel: "info",
          drainTimeoutMs: 5000,
          node: {
            metadataUrl: metadata.url,
            nodeName: "worker-1",
            byIdDir: "/dev/disk/by-id",
            stateDir: "/unused",
            deviceWaitMs: 1000,
          },
        },
        access,
        { logger, metrics },
      );
      await access.close();
      assert.deepEqual(
        log.records().map((record) => record.msg),
        [`default zone blr1, this machine's zone from the digitalocean metadata service at ${metadata.url}`],
      );
    } finally {
      await metadata.close();
      await api.close();
    }
  });
});

describe("controllerDefaultZone", () => {
  test("a Hetzner controller takes its server's location, the datacenter cut to it", async () => {
    const metadata = await FakeMetadata.start({
      "/hetzner/v1/metadata/instance-id": "4711",
      "/hetzner/v1/metadata/availability-zone": "nbg1-dc3",
    });
    try {
      const zone = await controllerDefaultZone(
        { metadataUrl: metadata.url },
        await loadProvider("hetzner"),
        createLogger("silent"),
      );
      assert.equal(zone, "nbg1");
    } finally {
      await metadata.close();
    }
  });

  test("a metadata service that never answers is given up after the bound", async () => {
    const metadata = await FakeMetadata.start("never");
    try {
      const started = Date.now();
      const zone = await controllerDefaultZone(
        { metadataUrl: metadata.url },
        await loadProvider("digitalocean"),
        createLogger("silent"),
        200,
      );
      assert.equal(zone, undefined);
      assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
      assert.equal(metadata.requests.length, 2);
    } finally {
      await metadata.close();
    }
  });

  test("the ballast provider, which has no metadata service, keeps no default zone and logs nothing", async () => {
    const log = new CapturedLog();
    const zone = await controllerDefaultZone(
      {},
      await loadProvider("ballast"),
      createLogger("info", log.stream),
    );
    assert.equal(zone, undefined);
    assert.deepEqual(log.lines, []);
  });
});

describe("ballast controller --metadata-url", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = undefined;
  });

  test("the controller command takes --metadata-url and logs the zone it learnt there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ballast-default-zone-cli-"));
    const api = await FakeDigitalOcean.start();
    const metadata = await FakeMetadata.start(droplet("sgp1"));
    try {
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("BALLAST_") && k !== "CSI_ENDPOINT"),
      );
      const args = [
        ...["controller", "--cloud-provider", "digitalocean", "--cloud-url", api.url],
        ...["--metadata-url", metadata.url, "--endpoint", `unix://${join(dir, "controller.sock")}`],
      ];
      const spawned = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
        cwd: ROOT,
        env: { ...env, BALLAST_CLOUD_TOKEN: "test-token" },
      });
      child = spawned;
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        spawned.stdout.on("data", (chunk) => {
          out += chunk;
          const found = out.split("\n").find((l) => l.includes("default zone"));
          if (found !== undefined) resolve(found);
        });
        spawned.stderr.on("data", (chunk) => {
          err += chunk;
        });
        spawned.once("exit", (code) => reject(new Error(`exited ${code}: ${err}${out}`)));
      });
      assert.equal(
        JSON.parse(line).msg,
        `default zone sgp1, this machine's zone from the digitalocean metadata service at ${metadata.url}`,
      );
    } finally {
      await metadata.close();
      await api.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
