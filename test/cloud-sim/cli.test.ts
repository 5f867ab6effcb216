import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { killHard, runCloudCli, spawnCloud } from "./child-cloud.js";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("an unwritable data dir is a one-line error with exit code 2", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "plain-file");
  await writeFile(file, "");
  const result = await runCloudCli(["--listen", "127.0.0.1:0", "--data-dir", join(file, "data")]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^ballast cloud: data dir .*plain-file\/data is not writable: .*\n$/);
});

test("a port in use is a one-line error with exit code 2", async (t) => {
  const dir = await tempDir(t);
  const blocker = createServer();
  blocker.listen(0, "127.0.0.1");
  await once(blocker, "listening");
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const result = await runCloudCli(["--listen", `127.0.0.1:${port}`, "--data-dir", dir, "--no-local-attach"]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `ballast cloud: cannot listen on 127.0.0.1:${port}: address already in use: stop the process holding it or choose another port (0 picks a free one)\n`,
  );
});

test("a malformed --listen is a one-line error with exit code 2", async (t) => {
  const dir = await tempDir(t);
  const result = await runCloudCli(["--listen", "localhost", "--data-dir", dir]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    'ballast cloud: --listen: "localhost" is not host:port (e.g. 127.0.0.1:8787)\n',
  );
});

test("a non-numeric --latency-ms exits with code 2", async (t) => {
  const dir = await tempDir(t);
  const result = await runCloudCli(["--latency-ms", "soon", "--data-dir", dir]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--latency-ms <ms>' argument 'soon' is invalid/);
});

test("a fault file that breaks the FaultConfig schema exits with code 2 naming the field", async (t) => {
  const dir = await tempDir(t);
  const faults = join(dir, "faults.yaml");
  await writeFile(faults, "rules:\n  - operation: createVolume\n    kind: explode\n");
  const result = await runCloudCli(["--listen", "127.0.0.1:0", "--data-dir", dir, "--faults", faults]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /^ballast cloud: --faults: .*faults\.yaml: \/rules\/0\/kind must be equal to one of the allowed values\n$/,
  );
});

test("the server accepts the token file's tokens and fault file rules, and SIGTERM exits 0", async (t) => {
  const dir = await tempDir(t);
  const tokens = join(dir, "tokens");
  await writeFile(tokens, "# tokens\nsecret-one\nsecret-two\n");
  const faults = join(dir, "faults.json");
  await writeFile(
    faults,
    JSON.stringify({ rules: [{ operation: "listZones", kind: "rateLimit", count: 1 }] }),
  );
  const cloud = await spawnCloud([
    "--listen",
    "127.0.0.1:0",
    "--data-dir",
    join(dir, "data"),
    "--token-file",
    tokens,
    "--faults",
    faults,
    "--no-local-attach",
  ]);
  t.after(() => killHard(cloud.child));
  const zones = (token: string) =>
    fetch(`${cloud.url}/v1/zones`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal((await zones("ballast-dev-token")).status, 403);
  assert.equal((await zones("secret-two")).status, 429);
  assert.equal((await zones("secret-one")).status, 200);
  const exited = once(cloud.child, "exit");
  cloud.child.kill("SIGTERM");
  assert.deepEqual(await exited, [0, null]);
});
