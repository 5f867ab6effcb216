import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Contract, responseValidator, violations } from "../../src/cloud-sim/contract.js";
import { DIGITALOCEAN_DESCRIPTION_PATH } from "../../src/cloud-sim/faces/digitalocean/face.js";
import { HETZNER_DESCRIPTION_PATH } from "../../src/cloud-sim/faces/hetzner/face.js";
import {
  type ApiName,
  type ReferenceCloud,
  type ReferenceCloudOptions,
  startReferenceCloud,
} from "../../src/cloud-sim/index.js";

/**
 * An answer's body as tests read it: `call` has already checked it against the API's description,
 * so tests pick fields out of it without restating the generated types at every step.
 */
// biome-ignore lint/suspicious/noExplicitAny: loose reading of bodies the description has vetted
export type Json = any;

export interface Answer<T = Json> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Hooks {
  after(fn: () => Promise<void>): void;
}

/** A cloud serving a provider's API on 127.0.0.1:0, whose every answer a test also checks itself. */
export interface FaceCloud {
  cloud: ReferenceCloud;
  dir: string;
  /** Calls the API at `cloud.apiUrl + path`; the answer is validated against the description here too. */
  call<T = Json>(method: string, path: string, body?: unknown, token?: string): Promise<Answer<T>>;
  /** A metadata-service path, plain text, no token. */
  metadata(path: string): Promise<Answer<string>>;
}

const descriptions = new Map<string, Contract>();
function description(api: Exclude<ApiName, "ballast">): Contract {
  const path =
    api === "digitalocean" ? fileURLToPath(DIGITALOCEAN_DESCRIPTION_PATH) : HETZNER_DESCRIPTION_PATH;
  let loaded = descriptions.get(path);
  if (loaded === undefined) {
    loaded = Contract.load(path);
    descriptions.set(path, loaded);
  }
  return loaded;
}

export async function startFace(
  hooks: Hooks,
  api: Exclude<ApiName, "ballast">,
  config: Partial<ReferenceCloudOptions> = {},
): Promise<FaceCloud> {
  const dir = await mkdtemp(join(tmpdir(), `ballast-face-${api}-`));
  let cloud: ReferenceCloud | undefined;
  hooks.after(async () => {
    await cloud?.close({ detachLocalDevices: true });
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(
      cloud?.contractViolations ?? [],
      [],
      "the server sent answers that break the description",
    );
  });
  cloud = await startReferenceCloud({
    api,
    dataDir: join(dir, "data"),
    byIdDir: join(dir, "by-id"),
    operationLatencyMs: 10,
    localAttach: false,
    ...config,
  });
  const served = cloud;
  const contract = description(api);
  return {
    cloud: served,
    dir,
    async call(method, path, body, token = served.token) {
      const response = await fetch(`${served.apiUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      const parsed = text === "" ? undefined : JSON.parse(text);
      const routed = contract.route(method, new URL(path, "http://x").pathname);
      if ("operation" in routed) {
        const validate = responseValidator(routed.operation, response.status);
        assert.notEqual(validate, undefined, `${method} ${path}: status ${response.status} is not described`);
        if (validate) {
          assert.ok(
            validate(parsed),
            `${method} ${path} ${response.status}: ${JSON.stringify(violations(validate.errors))}`,
          );
        }
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async metadata(path) {
      const response = await fetch(`${served.url}${path}`);
      return { status: response.status, headers: response.headers, body: await response.text() };
    },
  };
}

/** Polls until `check` returns a value, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail("the condition did not hold in time");
    await sleep(10);
  }
}

export const GiB = 1024 ** 3;
