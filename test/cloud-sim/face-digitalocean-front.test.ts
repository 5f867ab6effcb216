import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { ContractViolation } from "../../src/cloud-sim/config.js";
import { Contract } from "../../src/cloud-sim/contract.js";
import { ApiFront, type ApiHandler } from "../../src/cloud-sim/faces/api-front.js";
import { digitalOceanDialect } from "../../src/cloud-sim/faces/digitalocean/dialect.js";
import { DIGITALOCEAN_DESCRIPTION_PATH } from "../../src/cloud-sim/faces/digitalocean/face.js";
import { SlidingWindows } from "../../src/cloud-sim/faces/rate-limits.js";
import { FaultInjector } from "../../src/cloud-sim/faults.js";
import { RequestLog } from "../../src/cloud-sim/request-log.js";

/** The DigitalOcean front over hand-written handlers, so a test can make one answer wrongly. */
async function front(t: { after(fn: () => Promise<void>): void }, handlers: Record<string, ApiHandler>) {
  const violations: ContractViolation[] = [];
  const api = new ApiFront({
    contract: Contract.load(fileURLToPath(DIGITALOCEAN_DESCRIPTION_PATH)),
    dialect: digitalOceanDialect(undefined),
    handlers,
    tokens: ["token"],
    faults: new FaultInjector({ rules: [] }),
    requestLog: new RequestLog(),
    rateLimiter: new SlidingWindows([{ requests: 100, seconds: 60 }], {
      limit: "ratelimit-limit",
      remaining: "ratelimit-remaining",
      reset: "ratelimit-reset",
    }),
    admin: (_request, response) => response.writeHead(204).end(),
    onContractViolation: (violation) => violations.push(violation),
  });
  const server = createServer(api.listener).listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = (method: string, path: string) =>
    fetch(`${url}${path}`, { method, headers: { Authorization: "Bearer token" } });
  return { get: (path: string) => request("GET", path), request, violations };
}

const VOLUME_ID = "00000000-0000-4000-8000-000000000000";

test("an answer that breaks the DigitalOcean description becomes a 500 server_error and is reported", async (t) => {
  const { get, violations } = await front(t, {
    volumes_get: () => ({ status: 200, body: { volume: { id: VOLUME_ID, size_gigabytes: "ten" } } }),
  });
  const response = await get(`/v2/volumes/${VOLUME_ID}`);
  assert.equal(response.status, 500);
  const body = (await response.json()) as { id: string; message: string };
  assert.equal(body.id, "server_error");
  assert.match(body.message, /breaks the API description: \/volume\/size_gigabytes: must be integer/);
  assert.deepEqual(violations, [
    { operationId: "volumes_get", status: 200, message: "/volume/size_gigabytes: must be integer" },
  ]);
});

test("a body on a status the description gives none is a violation", async (t) => {
  const { request, violations } = await front(t, { volumes_delete: () => ({ status: 204, body: {} }) });
  const response = await request("DELETE", `/v2/volumes/${VOLUME_ID}`);
  assert.equal(response.status, 500);
  assert.deepEqual(violations, [
    { operationId: "volumes_delete", status: 204, message: "status 204 must not have a body" },
  ]);
});

test("a status outside the documented ones answers to `default`: DigitalOcean's error body", async (t) => {
  const { request, violations } = await front(t, { volumes_delete: () => ({ status: 200, body: {} }) });
  assert.equal((await request("DELETE", `/v2/volumes/${VOLUME_ID}`)).status, 500);
  assert.deepEqual(violations, [
    {
      operationId: "volumes_delete",
      status: 200,
      message: "/id: must have required property 'id'; /message: must have required property 'message'",
    },
  ]);
});

test("a described answer passes untouched with the rate-limit headers", async (t) => {
  const { get, violations } = await front(t, {
    volumes_get: () => ({ status: 200, body: { volume: { id: VOLUME_ID, size_gigabytes: 10 } } }),
  });
  const response = await get(`/v2/volumes/${VOLUME_ID}`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { volume: { id: VOLUME_ID, size_gigabytes: 10 } });
  assert.equal(response.headers.get("ratelimit-remaining"), "99");
  assert.deepEqual(violations, []);
});
