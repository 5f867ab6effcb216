import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, lstat, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import { credentials, Metadata } from "@grpc/grpc-js";
import { type ReferenceCloud, startReferenceCloud } from "../../src/cloud-sim/index.js";
import { createIdentityHandlers } from "../../src/csi/identity-handlers.js";
import { startCsiServer } from "../../src/csi/server.js";
import { IdentityClient, type ProbeResponse } from "../../src/generated/csi.js";
import { createLogger } from "../../src/observability/logger.js";
import { requireRoot } from "../helpers/root.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment without any BALLAST_* or CSI_* the machine running the tests may have set. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("BALLAST_") && k !== "CSI_ENDPOINT"),
  );
  return { ...env, ...extra };
}

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, env: cleanEnv(env) });
}

function finish(child: ChildProcess): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

const run = (args: string[], env: Record<string, string> = {}) => finish(start(args, env));

/**
 * A checkout under a directory only root may enter (a clone in /root) cannot be read by another
 * user, so a test that runs the CLI as that user has nothing to run there.
 */
async function readableBy(uid: number, path: string): Promise<boolean> {
  const child = spawn(process.execPath, ["-e", "require('node:fs').accessSync(process.argv[1])", path], {
    uid,
    gid: uid,
    stdio: "ignore",
  });
  return new Promise((resolve) => {
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

const NOBODY = 65534;

/** Whether a test may run the CLI as user NOBODY here; skips it, saying why, when it may not. */
async function nobodyCanRun(t: TestContext): Promise<boolean> {
  if (!requireRoot(t)) return false;
  if (await readableBy(NOBODY, MAIN)) return true;
  t.skip(`user ${NOBODY} cannot read ${MAIN}: the checkout sits under a directory other users cannot enter`);
  return false;
}

function probe(address: string): Promise<ProbeResponse> {
  const client = new IdentityClient(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.probe({}, new Metadata(), { deadline: Date.now() + 2000 }, (error, response) => {
      client.close();
      if (error === null) resolve(response);
      else reject(error);
    });
  });
}

async function waitForProbe(address: string): Promise<ProbeResponse> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await probe(address);
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("ballast CLI", () => {
  let dir: string;
  let cloud: ReferenceCloud;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-cli-"));
    cloud = await startReferenceCloud({
      dataDir: join(dir, "cloud"),
      byIdDir: join(dir, "by-id"),
      localAttach: false,
    });
  });
  after(async () => {
    await cloud.close({ detachLocalDevices: true });
    await rm(dir, { recursive: true, force: true });
  });

  test("an unknown flag prints one line and exits 2", async () => {
    const result = await run(["controller", "--bogus"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), "error: unknown option '--bogus'");
  });

  test("a misspelled flag prints one line with the suggestion and exits 2", async () => {
    const result = await run(["controller", "--cloud-ur", "http://127.0.0.1:1"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "error: unknown option '--cloud-ur' (Did you mean --cloud-url?)\n");
  });

  test("a misspelled subcommand prints one line with the suggestion and exits 2", async () => {
    const result = await run(["contoller"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "error: unknown command 'contoller' (Did you mean controller?)\n");
  });

  test("a missing cloud URL prints one line naming the flag and exits 2", async () => {
    const result = await run(["controller"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), "ballast: --cloud-url: is required (or BALLAST_CLOUD_URL)");
  });

  test("a bad log level from the environment is refused naming the flag", async () => {
    const result = await run(["controller", "--cloud-url", cloud.url], {
      BALLAST_LOG_LEVEL: "loud",
      BALLAST_CLOUD_TOKEN: cloud.token,
    });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr.trim(),
      'ballast: --log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  test("an empty variable is refused naming the flag and the variable", async () => {
    const result = await run(["node"], { BALLAST_NODE_ID: "" });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), "ballast: --node-id: must not be empty (from BALLAST_NODE_ID)");
  });

  // The bad --cloud-listen stops dev before it starts anything, should the empty value be let through.
  test("dev refuses an empty --driver-name naming the flag", async () => {
    const result = await run(["dev", "--driver-name", "", "--cloud-listen", "nowhere"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), "ballast: --driver-name: must not be empty");
  });

  test("dev refuses an empty --state-dir rather than filling the working directory", async () => {
    const result = await run(["dev", "--state-dir", "", "--cloud-listen", "nowhere"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), "ballast: --state-dir: must not be empty");
  });

  test("an unreadable token file is refused naming it", async () => {
    const missing = join(dir, "no-such-token");
    const result = await run(["controller", "--cloud-url", cloud.url, "--cloud-token-file", missing]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), `ballast: --cloud-token-file: ${missing} is not readable (ENOENT)`);
  });

  test("a cloud URL that is not http is refused", async () => {
    const result = await run(["controller", "--cloud-url", "ftp://x"], { BALLAST_CLOUD_TOKEN: "t" });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), 'ballast: --cloud-url: "ftp://x" must be http:// or https://');
  });

  test("a metrics address without a port is refused", async () => {
    const result = await run(["controller", "--cloud-url", cloud.url, "--metrics-address", "localhost"], {
      BALLAST_CLOUD_TOKEN: "t",
    });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split("\n").length, 1);
    assert.match(result.stderr, /^ballast: --metrics-address: /);
  });

  for (const [mode, flag] of [
    ["controller", "--default-volume-type"],
    ["node", "--by-id-dir"],
    ["node", "--report-standard-zone-key"],
    ["all", "--node-name"],
    ["dev", "--state-dir"],
  ] as const) {
    test(`${mode} --help shows its flags and exits 0`, async () => {
      const result = await run([mode, "--help"]);
      assert.equal(result.code, 0);
      assert.match(result.stdout, new RegExp(`Usage: ballast ${mode} \\[options\\]`));
      assert.ok(result.stdout.includes(flag), `${flag} in help`);
    });
  }

  test("the command list of --help gives each command one line that fits 80 columns", async () => {
    const result = await run(["--help"]);
    assert.equal(result.code, 0);
    const commands = result.stdout.slice(result.stdout.indexOf("Commands:\n") + "Commands:\n".length);
    const lines = commands.trimEnd().split("\n");
    assert.deepEqual(
      lines.map((line) => /^ {2}(\S+)/.exec(line)?.[1]),
      ["controller", "node", "all", "cloud", "dev", "demo", "help"],
    );
    assert.ok(
      lines.every((line) => line.length <= 80),
      lines.join("\n"),
    );
  });

  test("node run by a user other than root warns once that mounts will fail, and serves", async (t) => {
    if (!(await nobodyCanRun(t))) return;
    const socketDir = await mkdtemp(join(tmpdir(), "ballast-nobody-"));
    t.after(() => rm(socketDir, { recursive: true, force: true }));
    await chmod(socketDir, 0o777);
    const path = join(socketDir, "node.sock");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        MAIN,
        "node",
        ...[
          "--endpoint",
          `unix://${path}`,
          "--node-id",
          "i-1",
          "--zone",
          "z1",
          "--max-volumes-per-node",
          "8",
        ],
        ...["--by-id-dir", socketDir, "--log-level", "warn"],
      ],
      { cwd: ROOT, env: cleanEnv({ HOME: socketDir }), uid: NOBODY, gid: NOBODY },
    );
    t.after(() => child.kill("SIGKILL"));
    const finished = finish(child);
    await waitForProbe(`unix://${path}`);
    child.kill("SIGTERM");
    const result = await finished;
    const warnings = result.stdout
      .split("\n")
      .filter((line) => line.includes('"level":"warn"'))
      .map((line) => JSON.parse(line).msg);
    assert.deepEqual(warnings, [
      `running as uid ${NOBODY}, not root: NodeStageVolume and NodePublishVolume need root to format and mount, and will fail`,
    ]);
  });

  test("demo run by a user other than root says why in one line with one prefix and exits 2", async (t) => {
    if (!(await nobodyCanRun(t))) return;
    const result = await finish(
      spawn(process.execPath, ["--import", "tsx", MAIN, "demo"], {
        cwd: ROOT,
        env: cleanEnv({ HOME: dir }),
        uid: NOBODY,
        gid: NOBODY,
      }),
    );
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "ballast: the demo mounts filesystems and makes loop devices, so it needs root: run it again with sudo (or as root).\n",
    );
  });

  test("demo with an endpoint where nothing listens says what to start in one line and exits 2", async (t) => {
    if (!requireRoot(t)) return;
    const endpoint = `unix://${join(dir, "nobody-here.sock")}`;
    const result = await run(["demo", "--endpoint", endpoint]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      `ballast: nothing is listening at ${endpoint}: start a driver there (\`npm start\` runs one), or drop --endpoint and the demo starts its own\n`,
    );
  });

  test("a controller whose cloud does not answer warns once at start naming the URL, and keeps serving", {
    timeout: 30_000,
  }, async (t) => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const path = join(dir, "cloudless.sock");
    const child = start(
      ["controller", "--endpoint", `unix://${path}`, "--cloud-url", url, "--log-level", "warn"],
      {
        BALLAST_CLOUD_TOKEN: "t",
      },
    );
    t.after(() => child.kill("SIGKILL"));
    const firstWarning = await new Promise<{ msg: string; url: string }>((resolve, reject) => {
      let stdout = "";
      child.stdout?.on("data", (chunk) => {
        stdout += chunk;
        const line = stdout.split("\n").find((l) => l.includes('"level":"warn"'));
        if (line !== undefined) resolve(JSON.parse(line));
      });
      child.once("exit", (code) => reject(new Error(`controller exited ${code}: ${stdout}`)));
    });
    assert.equal(firstWarning.url, url);
    assert.match(
      firstWarning.msg,
      new RegExp(
        `^cloud ${url} is not reachable: .*ECONNREFUSED.*; serving anyway, Probe answers ready=false until it answers$`,
      ),
    );
    assert.deepEqual(await waitForProbe(`unix://${path}`), { ready: false });
  });

  test("a live server on the socket makes the start fail with exit 2", async (t) => {
    const path = join(dir, "taken.sock");
    const server = await startCsiServer({
      endpoint: { kind: "unix", path },
      identity: createIdentityHandlers({
        driverName: "x",
        vendorVersion: "1",
        controller: false,
        ready: async () => true,
      }),
      logger: createLogger("silent"),
    });
    t.after(() => server.stop());
    const result = await run(["controller", "--endpoint", `unix://${path}`, "--cloud-url", cloud.url], {
      BALLAST_CLOUD_TOKEN: cloud.token,
    });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr.trim(),
      `ballast: --endpoint: another server is already listening on ${path}: stop it, or choose another --endpoint`,
    );
  });

  test("the controller replaces a stale socket, serves, and exits 0 on SIGTERM removing it", async () => {
    const path = join(dir, "controller.sock");
    await new Promise<void>((resolve) => {
      const crashed = spawn(process.execPath, [
        "-e",
        "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))",
        path,
      ]);
      crashed.once("exit", () => resolve());
    });
    assert.equal((await lstat(path)).isSocket(), true, "the crashed server left no stale socket to replace");
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, `${cloud.token}\n`);
    const child = start(
      ["controller", "--endpoint", `unix://${path}`, "--cloud-url", cloud.url, "--log-level", "warn"],
      { BALLAST_CLOUD_TOKEN_FILE: tokenFile },
    );
    const finished = finish(child);
    try {
      assert.deepEqual(await waitForProbe(`unix://${path}`), { ready: true });
    } finally {
      child.kill("SIGTERM");
    }
    const result = await finished;
    assert.equal(result.code, 0, result.stderr);
    await assert.rejects(lstat(path), { code: "ENOENT" });
  });

  test("dev prints the socket, cloud and metrics URLs, then ready, and stops cleanly", async () => {
    const stateDir = join(dir, "dev-state");
    const child = start([
      "dev",
      "--state-dir",
      stateDir,
      "--cloud-listen",
      "127.0.0.1:0",
      "--metrics-address",
      "127.0.0.1:0",
      "--log-level",
      "warn",
    ]);
    const finished = finish(child);
    let stdout = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.includes("ready\n")) resolve();
      });
      child.once("exit", () => reject(new Error(`dev exited before ready: ${stdout}`)));
    });
    const socket = /^socket: (.+)$/m.exec(stdout)?.[1] ?? "";
    assert.equal(socket, join(stateDir, "csi.sock"));
    assert.match(stdout, /^cloud: http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(stdout, /^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    assert.deepEqual(await probe(`unix://${socket}`), { ready: true });
    child.kill("SIGTERM");
    const result = await finished;
    assert.equal(result.code, 0, result.stderr);
    await assert.rejects(lstat(socket), { code: "ENOENT" });
  });
});
