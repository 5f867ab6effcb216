import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { toDomainError } from "../../src/providers/hetzner/error-mapping.js";
import { BallastError } from "../../src/shared/errors.js";
import { startHetznerAdapter } from "./adapter-over-fake.js";
import { type FakeHetzner, refuse } from "./hetzner-fake-api.js";

const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-hetzner" };

const kindOf = (code: string, status: number) =>
  (toDomainError(new CloudApiError("create_volume", status, code, "words")) as BallastError).kind;

describe("Hetzner provider: error mapping", () => {
  test("Hetzner's codes map to the CSI meaning, unknown ones by HTTP status", () => {
    assert.deepEqual(
      [
        kindOf("resource_limit_exceeded", 403),
        kindOf("no_space_left_in_location", 422),
        kindOf("uniqueness_error", 409),
        kindOf("not_found", 404),
        kindOf("invalid_input", 400),
        kindOf("locked", 423),
        kindOf("protected", 403),
        kindOf("rate_limit_exceeded", 429),
        kindOf("maintenance", 503),
        kindOf("something_new", 503),
        kindOf("something_new", 418),
      ],
      [
        "ResourceExhausted",
        "ResourceExhausted",
        "AlreadyExists",
        "NotFound",
        "InvalidArgument",
        "Aborted",
        "FailedPrecondition",
        "Unavailable",
        "Unavailable",
        "Unavailable",
        "InvalidArgument",
      ],
    );
  });

  test("a message names the provider, the call, the status, the code and Hetzner's words", () => {
    const error = toDomainError(
      new CloudApiError("create_volume", 403, "resource_limit_exceeded", "project limit of volumes reached"),
    );
    assert.ok(error instanceof BallastError);
    assert.equal(
      error.message,
      "Hetzner Cloud: cloud create_volume: 403 resource_limit_exceeded: project limit of volumes reached",
    );
  });

  describe("against the API", () => {
    let fake: FakeHetzner;
    let storage: BlockStorage;
    beforeEach(async () => {
      ({ fake, storage } = await startHetznerAdapter());
    });
    afterEach(() => fake.close());

    test("a rejected token is Internal and the message does not carry the token", async () => {
      fake.interceptors = [refuse(() => true, 401, "unauthorized", "unable to authenticate")];
      const error = await storage.getVolume("12", options).catch((e: unknown) => e);
      assert.ok(error instanceof BallastError);
      assert.deepEqual(
        { kind: error.kind, message: error.message },
        {
          kind: "Internal",
          message: "Hetzner Cloud: cloud get_volume: the API rejected the driver's token (401 unauthorized)",
        },
      );
      assert.equal(fake.requests.length, 1);
    });

    test("resource_limit_exceeded on create is ResourceExhausted", async () => {
      fake.interceptors = [
        refuse((r) => r.method === "POST", 403, "resource_limit_exceeded", "volume limit reached"),
      ];
      await assert.rejects(
        storage.createVolume(
          {
            name: "pvc-a",
            sizeBytes: 10 * 1024 ** 3,
            zone: "fsn1",
            type: "hcloud-volume",
            encrypted: false,
            tags: {},
          },
          options,
        ),
        {
          kind: "ResourceExhausted",
          message: "Hetzner Cloud: cloud create_volume: 403 resource_limit_exceeded: volume limit reached",
        },
      );
    });

    test("ids that are no Hetzner integers do not exist, and no call is made", async () => {
      assert.equal(await storage.getVolume("vol-0123456789abcdef", options), undefined);
      assert.equal(await storage.getInstance("i-1", options), undefined);
      await storage.deleteVolume("12abc", options);
      await storage.detachVolume("0", "7", options);
      assert.equal(fake.requests.length, 0);
    });

    test("a volume Hetzner does not know is undefined on get and success on delete", async () => {
      assert.equal(await storage.getVolume("999", options), undefined);
      await storage.deleteVolume("999", options);
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.path}`),
        ["GET /volumes/999", "DELETE /volumes/999"],
      );
    });

    test("the snapshot methods answer Unimplemented naming the provider", async () => {
      await assert.rejects(storage.createSnapshot({ name: "s", sourceVolumeId: "1", tags: {} }, options), {
        kind: "Unimplemented",
        message: "CreateSnapshot: provider hetzner (Hetzner Cloud) has no such feature",
      });
      await assert.rejects(storage.listSnapshots({}, options), { kind: "Unimplemented" });
      assert.equal(fake.requests.length, 0);
    });
  });
});
