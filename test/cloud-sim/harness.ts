import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Contract } from "../../src/cloud-sim/contract.js";
import {
  type ReferenceCloud,
  type ReferenceCloudConfig,
  startReferenceCloud,
} from "../../src/cloud-sim/index.js";
import type { components } from "../../src/generated/block-storage.v1.js";

export type Operation = components["schemas"]["Operation"];
export type Volume = components["schemas"]["Volume"];
export type Problem = components["schemas"]["Problem"];
type InstanceList = components["schemas"]["InstanceList"];

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Hooks {
  after(fn: () => Promise<void>): void;
}

/** A reference cloud on 127.0.0.1:0 over a temp data dir and a temp by-id dir, torn down by `after`. */
export interface TestCloud {
  cloud: ReferenceCloud;
  dir: string;
  call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer<T>>;
  /** Polls an operation until it is no longer running. */
  settle(operationId: string): Promise<Operation>;
  /** POSTs (or DELETEs) a mutation, expects 202 and waits for the operation to succeed. */
  done(method: string, path: string, body?: unknown): Promise<Operation>;
}

/**
 * Hooks for a cloud started in a suite's `before`: node:test runs an `after` registered inside a
 * hook right after that hook, so the suite registers `after(cleanup.run)` itself.
 */
export function suiteCleanup(): Hooks & { run(): Promise<void> } {
  const steps: (() => Promise<void>)[] = [];
  return {
    after: (fn) => steps.push(fn),
    run: async () => {
      for (const step of steps.reverse()) await step();
    },
  };
}

let contract: Contract | undefined;
/** Compiling the contract takes about a second; a test file shares one. */
export function sharedContract(): Contract {
  contract ??= Contract.load();
  return contract;
}

export async function startTestCloud(
  hooks: Hooks,
  config: Partial<ReferenceCloudConfig> = {},
): Promise<TestCloud> {
  const dir = await mkdtemp(join(tmpdir(), "ballast-cloud-sim-"));
  let cloud: ReferenceCloud | undefined;
  hooks.after(async () => {
    await cloud?.close({ detachLocalDevices: true });
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(cloud?.contractViolations ?? [], [], "the server sent answers that break the contract");
  });
  cloud = await startReferenceCloud(
    { dataDir: join(dir, "data"), byIdDir: join(dir, "by-id"), operationLatencyMs: 10, ...config },
    { contract: sharedContract() },
  );
  return wrap(cloud, dir);
}

export function wrap(cloud: ReferenceCloud, dir: string): TestCloud {
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${cloud.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${cloud.token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text === "" ? undefined : JSON.parse(text)) as T,
    };
  };
  const settle = async (operationId: string) => {
    for (;;) {
      const answer = await call<Operation>("GET", `/v1/operations/${operationId}`);
      assert.equal(answer.status, 200);
      if (answer.body.status !== "running") return answer.body;
      await sleep(Number(answer.headers.get("poll-after-ms") ?? 10) + 5);
    }
  };
  const done = async (method: string, path: string, body?: unknown) => {
    const answer = await call<Operation>(method, path, body);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const operation = await settle(answer.body.id);
    assert.equal(operation.status, "succeeded", JSON.stringify(operation.error));
    return operation;
  };
  return { cloud, dir, call, settle, done };
}

/** The id of the instance this machine is: the one the cloud attaches volumes to as loop devices. */
export async function localInstance(c: TestCloud): Promise<string> {
  const found = await c.call<InstanceList>("GET", `/v1/instances?name=${hostname()}`);
  const id = found.body.items[0]?.id;
  assert.ok(id !== undefined, "the local instance is listed under the host name");
  return id;
}

let counter = 0;
/** A name no other test in the process uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export const GiB = 1024 ** 3;
