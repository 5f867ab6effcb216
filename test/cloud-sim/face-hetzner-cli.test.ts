import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { killHard, spawnCloud } from "./child-cloud.js";

test("ballast cloud --api hetzner serves Hetzner's API under /v1 in its default locations", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-face-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cloud = await spawnCloud([
    "--api",
    "hetzner",
    "--listen",
    "127.0.0.1:0",
    "--data-dir",
    join(dir, "data"),
    "--no-local-attach",
  ]);
  t.after(() => killHard(cloud.child));
  const created = await fetch(`${cloud.url}/v1/volumes`, {
    method: "POST",
    headers: { Authorization: "Bearer ballast-dev-token", "Content-Type": "application/json" },
    body: JSON.stringify({ name: "from-cli", size: 10, location: "hel1" }),
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("ratelimit-limit"), "3600");
  assert.equal(
    ((await created.json()) as { volume: { location: { name: string } } }).volume.location.name,
    "hel1",
  );
  const zone = await fetch(`${cloud.url}/hetzner/v1/metadata/availability-zone`).then((r) => r.text());
  assert.equal(zone, "fsn1-dc14");
  const exited = once(cloud.child, "exit");
  cloud.child.kill("SIGTERM");
  assert.deepEqual(await exited, [0, null]);
});
