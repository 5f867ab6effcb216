import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";
import { CONTRACT_PATH, Contract } from "../../src/cloud-sim/contract.js";
import {
  type ContractViolation,
  type ReferenceCloud,
  startReferenceCloud,
} from "../../src/cloud-sim/index.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("the contract lints clean with Redocly's recommended rules", async () => {
  const { stdout, stderr } = await run(
    join(ROOT, "node_modules/.bin/redocly"),
    ["lint", "--config", "openapi/redocly.yaml", "openapi/block-storage.v1.yaml"],
    { cwd: ROOT, timeout: 120_000 },
  );
  assert.match(`${stdout}${stderr}`, /Your API description is valid/);
  assert.doesNotMatch(`${stdout}${stderr}`, /You have \d+ warnings?/);
});

test("every operation of the contract has a handler in the reference cloud", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-handlers-"));
  let cloud: ReferenceCloud | undefined;
  t.after(async () => {
    await cloud?.close();
    await rm(dir, { recursive: true, force: true });
  });
  cloud = await startReferenceCloud({ dataDir: dir, localAttach: false });
  const contract = Contract.load();
  for (const operation of contract.operations) {
    const path = operation.pathTemplate
      .replace("{volumeId}", "vol-00000000000000ff")
      .replace("{snapshotId}", "snap-00000000000000ff")
      .replace("{instanceId}", "i-00000000000000ff")
      .replace("{operationId}", "op-00000000000000ff");
    const response = await fetch(`${cloud.url}${path}`, {
      method: operation.method,
      headers: { Authorization: `Bearer ${cloud.token}` },
    });
    const body = (await response.text()) || "{}";
    assert.notEqual(response.status, 500, `${operation.operationId}: ${body}`);
    assert.notEqual(response.status, 405, `${operation.operationId} is routed`);
  }
  assert.deepEqual(cloud.contractViolations, []);
});

test("an answer that breaks the contract becomes a 500 and is reported", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-violation-"));
  let cloud: ReferenceCloud | undefined;
  t.after(async () => {
    await cloud?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const stricter = join(dir, "stricter.yaml");
  const text = await readFile(CONTRACT_PATH, "utf8");
  await writeFile(stricter, text.replace("enum: [available, unavailable]", "enum: [unavailable]"));
  const reported: ContractViolation[] = [];
  cloud = await startReferenceCloud(
    { dataDir: join(dir, "data"), localAttach: false, onContractViolation: (v) => reported.push(v) },
    { contract: Contract.load(stricter) },
  );
  const response = await fetch(`${cloud.url}/v1/zones`, {
    headers: { Authorization: `Bearer ${cloud.token}` },
  });
  assert.equal(response.status, 500);
  assert.equal(((await response.json()) as { code: string }).code, "internal");
  assert.equal(reported.length, 1);
  assert.equal(reported[0]?.operationId, "listZones");
  assert.equal(reported[0]?.status, 200);
  assert.match(reported[0]?.message ?? "", /\/items\/0\/status: must be equal to one of the allowed values/);
  assert.deepEqual(cloud.contractViolations, reported);
});

test("every schema of the contract has a description and examples that satisfy it", async () => {
  const document = parse(await readFile(CONTRACT_PATH, "utf8")) as {
    components: {
      schemas: Record<string, { description?: string; examples?: unknown[]; example?: unknown }>;
    };
  };
  const contract = Contract.load();
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    if (!schema.description) problems.push(`${name}: no description`);
    const examples = schema.examples ?? (schema.example === undefined ? [] : [schema.example]);
    if (examples.length === 0) problems.push(`${name}: no example`);
    for (const example of examples) {
      for (const violation of contract.check(name, example)) {
        problems.push(
          `${name}: example ${JSON.stringify(example)} ${violation.pointer} ${violation.message}`,
        );
      }
    }
  }
  assert.deepEqual(problems, []);
});
