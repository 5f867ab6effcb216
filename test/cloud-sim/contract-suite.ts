import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { components } from "../../src/generated/block-storage.v1.js";
import {
  type Problem,
  startTestCloud,
  suiteCleanup,
  type TestCloud,
  uniqueName,
  type Volume,
} from "./harness.js";

type Schemas = components["schemas"];

export const CONTRACT_INSTANCES = [
  { name: "local-host", zone: "ref-1a", maxAttachedVolumes: 4, local: true },
  { name: "node-a2", zone: "ref-1a", maxAttachedVolumes: 1 },
  { name: "node-a3", zone: "ref-1a", maxAttachedVolumes: 4 },
  { name: "node-b", zone: "ref-1b", maxAttachedVolumes: 4 },
];

/**
 * One cloud per contract test file, shared by its tests (starting one takes a while): call inside
 * a `describe`, which gets the cloud through `use` once it runs, and the helpers the tests share.
 */
export function contractSuite(use: (cloud: TestCloud) => void) {
  let c: TestCloud;
  const ids = new Map<string, string>();
  const cleanup = suiteCleanup();
  after(cleanup.run);
  before(async () => {
    c = await startTestCloud(cleanup, { instances: CONTRACT_INSTANCES, localAttach: false });
    use(c);
    const listed = await c.call<Schemas["InstanceList"]>("GET", "/v1/instances");
    for (const instance of listed.body.items) ids.set(instance.name, instance.id);
  });

  const instanceId = (name: string) => ids.get(name) as string;

  async function createVolume(spec: Partial<Schemas["CreateVolumeRequest"]> = {}): Promise<Volume> {
    const operation = await c.done("POST", "/v1/volumes", {
      name: uniqueName("vol"),
      zone: "ref-1a",
      sizeGiB: 1,
      ...spec,
    });
    return operation.volume as Volume;
  }

  async function expectProblem(
    method: string,
    path: string,
    body: unknown,
    status: number,
    code: Problem["code"],
  ): Promise<Problem> {
    const answer = await c.call<Problem>(method, path, body);
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.headers.get("content-type"), "application/problem+json");
    assert.equal(answer.body.code, code);
    assert.equal(answer.body.status, status);
    assert.equal(answer.body.type, `https://ballast.dev/problems/${code}`);
    return answer.body;
  }

  return { instanceId, createVolume, expectProblem };
}
