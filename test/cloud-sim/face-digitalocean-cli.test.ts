import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { killHard, runCloudCli, spawnCloud } from "./child-cloud.js";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ballast-face-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("ballast cloud --api digitalocean serves DigitalOcean's API in its default regions", async (t) => {
  const dir = await tempDir(t);
  const cloud = await spawnCloud([
    "--api",
    "digitalocean",
    "--api-rate-limit",
    "100/60",
    "--listen",
    "127.0.0.1:0",
    "--data-dir",
    join(dir, "data"),
    "--no-local-attach",
  ]);
  t.after(() => killHard(cloud.child));
  const headers = { Authorization: "Bearer ballast-dev-token", "Content-Type": "application/json" };
  const created = await fetch(`${cloud.url}/v2/volumes`, {
    method: "POST",
    headers,
    body: JSON.stringify({ name: "from-cli", size_gigabytes: 1, region: "nyc3" }),
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("ratelimit-limit"), "100");
  assert.equal(
    ((await created.json()) as { volume: { region: { slug: string } } }).volume.region.slug,
    "nyc3",
  );
  assert.equal(await fetch(`${cloud.url}/metadata/v1/region`).then((r) => r.text()), "nyc1");
  assert.equal((await fetch(`${cloud.url}/v1/zones`, { headers })).status, 404);
  const exited = once(cloud.child, "exit");
  cloud.child.kill("SIGTERM");
  assert.deepEqual(await exited, [0, null]);
});

test("an unknown --api or a malformed --api-rate-limit exits with code 2 naming the value", async (t) => {
  const dir = await tempDir(t);
  const unknown = await runCloudCli(["--api", "aws", "--data-dir", dir]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /argument 'aws' is invalid\. Allowed choices are ballast, digitalocean, hetzner/,
  );
  const malformed = await runCloudCli([
    "--api",
    "digitalocean",
    "--api-rate-limit",
    "fast",
    "--data-dir",
    dir,
  ]);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /"fast" is not <requests>\/<seconds> \(e\.g\. 250\/60\) or off/);
});
