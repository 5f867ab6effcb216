import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RECORDER = fileURLToPath(new URL("./provider-load-recorder.mjs", import.meta.url));

/** What a node plugin must not carry unless it asks the cloud: the controller, the client, the adapter. */
const NOT_IN_A_NODE = [
  "/src/controller/",
  "/src/cloud/",
  "/src/cloud-sim/",
  "/src/providers/ballast/connect.ts",
  "/src/providers/ballast/block-storage-adapter.ts",
  "/node_modules/undici/",
  "/node_modules/ajv/",
  "/node_modules/yaml/",
];

/**
 * Starts `ballast <args>` with every resolved module recorded, waits until its CSI socket exists,
 * stops it with SIGTERM, and returns the module URLs (relative to the repository) it loaded.
 */
async function modulesLoadedBy(dir: string, name: string, args: string[]): Promise<string[]> {
  const log = join(dir, `${name}.modules`);
  const socket = join(dir, `${name}.sock`);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", RECORDER, "src/cli/main.ts", ...args, "--endpoint", `unix://${socket}`],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, BALLAST_LOAD_LOG: log, BALLAST_CLOUD_TOKEN: "secret" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  try {
    for (let attempt = 0; ; attempt += 1) {
      if (
        await access(socket).then(
          () => true,
          () => false,
        )
      )
        break;
      if (child.exitCode !== null || attempt >= 300)
        assert.fail(`ballast ${args[0]} did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
  const root = new URL(`file://${ROOT}`).href;
  return (await readFile(log, "utf8"))
    .split("\n")
    .filter((url) => url.startsWith(root))
    .map((url) => `/${url.slice(root.length).replace(/^\//, "")}`);
}

const offending = (modules: string[]) =>
  [...new Set(modules.filter((m) => NOT_IN_A_NODE.some((part) => m.includes(part))))].sort();

describe("a driver process loads only what its mode needs", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-lazy-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const nodeFlags = (name: string) => [
    "--state-dir",
    join(dir, `${name}-state`),
    "--by-id-dir",
    join(dir, "by-id"),
    "--log-level",
    "silent",
  ];

  test("`ballast node` given its identity loads neither the controller, the cloud client, undici nor the adapter", async () => {
    const flags = ["--node-id", "i-0123456789abcdef", "--zone", "ref-1a", "--max-volumes-per-node", "4"];
    const modules = await modulesLoadedBy(dir, "known", ["node", ...flags, ...nodeFlags("known")]);
    assert.ok(modules.includes("/src/node/node-service.ts"), "the recorder saw the node service");
    assert.ok(modules.includes("/src/providers/ballast/index.ts"), "the recorder saw the provider");
    assert.deepEqual(offending(modules), []);
  });

  test("`ballast node` that will look itself up by name still loads none of them at start", async () => {
    const flags = ["--cloud-url", "http://127.0.0.1:1", "--node-name", "worker-1"];
    const modules = await modulesLoadedBy(dir, "by-name", ["node", ...flags, ...nodeFlags("by-name")]);
    assert.deepEqual(offending(modules), []);
  });

  test("`ballast controller` does load them, so the checks above can fail", async () => {
    const modules = await modulesLoadedBy(dir, "controller", [
      "controller",
      "--cloud-url",
      "http://127.0.0.1:1",
      "--log-level",
      "silent",
    ]);
    const found = offending(modules);
    assert.ok(
      found.some((m) => m.startsWith("/src/controller/")),
      `controller modules in ${found}`,
    );
    assert.ok(
      found.some((m) => m.startsWith("/node_modules/undici/")),
      `undici in ${found}`,
    );
    assert.ok(!found.some((m) => m.startsWith("/src/cloud-sim/")), "the reference cloud is not loaded");
    assert.ok(!found.some((m) => m.includes("/node_modules/ajv/") || m.includes("/node_modules/yaml/")));
  });
});
