import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { CloudApiError } from "../../src/cloud/cloud-api-error.js";
import type { BlockStorage } from "../../src/controller/block-storage.js";
import { decodeDigitalOceanError } from "../../src/providers/digitalocean/api-errors.js";
import { toDomainError } from "../../src/providers/digitalocean/error-mapping.js";
import { BallastError } from "../../src/shared/errors.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import { type FakeDigitalOcean, refuse } from "./digitalocean-fake-api.js";

const options = { deadline: Date.now() + 30_000, idempotencyKey: "unused-by-digitalocean" };

const kindOf = (status: number, id: string, message = "words") =>
  (toDomainError(new CloudApiError("volumes_create", status, id, message)) as BallastError).kind;

describe("DigitalOcean provider: error mapping", () => {
  test("DigitalOcean's error ids map to the CSI meaning, unknown ones by HTTP status", () => {
    assert.deepEqual(
      [
        kindOf(404, "not_found"),
        kindOf(400, "bad_request"),
        kindOf(422, "unprocessable_entity"),
        kindOf(409, "conflict"),
        kindOf(429, "too_many_requests"),
        kindOf(500, "server_error"),
        kindOf(503, "service_unavailable"),
        kindOf(401, "unauthorized"),
        kindOf(403, "forbidden"),
        kindOf(422, "something_new"),
        kindOf(409, "something_new"),
        kindOf(418, "something_new"),
      ],
      [
        "NotFound",
        "InvalidArgument",
        "FailedPrecondition",
        "AlreadyExists",
        "Unavailable",
        "Unavailable",
        "Unavailable",
        "Internal",
        "Internal",
        "FailedPrecondition",
        "AlreadyExists",
        "InvalidArgument",
      ],
    );
  });

  test("a 422 about a pending event is Aborted, one about the attach limit ResourceExhausted", () => {
    assert.equal(kindOf(422, "unprocessable_entity", "Droplet already has a pending event."), "Aborted");
    assert.equal(
      kindOf(422, "unprocessable_entity", "cannot attach more than 7 volumes to a single Droplet"),
      "ResourceExhausted",
    );
  });

  test("the error body decodes to id and message with the request id; another body to its status", () => {
    const fromBody = decodeDigitalOceanError(
      "volumes_get",
      404,
      new Headers(),
      { id: "not_found", message: "The resource you were accessing could not be found.", request_id: "r-1" },
      0,
    );
    assert.deepEqual(
      [fromBody.code, fromBody.message],
      [
        "not_found",
        "cloud volumes_get: 404 not_found: The resource you were accessing could not be found. (request r-1)",
      ],
    );
    const fromProxy = decodeDigitalOceanError(
      "volumes_get",
      502,
      new Headers(),
      "<html>bad gateway</html>",
      0,
    );
    assert.deepEqual(
      [fromProxy.code, fromProxy.message],
      ["service_unavailable", "cloud volumes_get: 502 service_unavailable: <html>bad gateway</html>"],
    );
  });

  test("a 429's wait is the time until ratelimit-reset", () => {
    const headers = new Headers({ "ratelimit-reset": "1765000030" });
    const error = decodeDigitalOceanError(
      "volumes_get",
      429,
      headers,
      { id: "too_many_requests", message: "slow" },
      1_765_000_000_000,
    );
    assert.equal(error.retryAfterMs, 30_000);
  });

  test("a rejected token is named without the token", () => {
    const error = toDomainError(
      new CloudApiError("volumes_list", 401, "unauthorized", "Unable to authenticate you"),
    );
    assert.ok(error instanceof BallastError);
    assert.equal(
      error.message,
      "DigitalOcean: cloud volumes_list: the API rejected the driver's token (401 unauthorized)",
    );
  });

  describe("against the API", () => {
    let fake: FakeDigitalOcean;
    let storage: BlockStorage;
    beforeEach(async () => {
      ({ fake, storage } = await startDigitalOceanAdapter());
    });
    afterEach(() => stopDigitalOceanAdapter(fake));

    test("a volume, a snapshot or a droplet that is gone reads as undefined", async () => {
      const gone = "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11";
      assert.deepEqual(
        [
          await storage.getVolume(gone, options),
          await storage.getSnapshot(gone, options),
          await storage.getInstance("99", options),
        ],
        [undefined, undefined, undefined],
      );
    });

    test("a 400 on create is InvalidArgument with DigitalOcean's words, and no lookup follows", async () => {
      fake.interceptors = [
        refuse((r) => r.method === "POST", 400, "bad_request", "size_gigabytes must be a positive integer"),
      ];
      await assert.rejects(
        storage.createVolume(
          {
            name: "pvc-a",
            sizeBytes: 1024 ** 3,
            zone: "nyc1",
            type: "do-block-storage",
            encrypted: false,
            tags: {},
          },
          options,
        ),
        {
          kind: "InvalidArgument",
          message:
            "DigitalOcean: cloud volumes_create: 400 bad_request: size_gigabytes must be a positive integer (request 4d9d8375-3c56-4925-a3e7-eb137fed17e9)",
        },
      );
      assert.equal(fake.requests.length, 1);
    });

    test("a 422 on create that is not a taken name is FailedPrecondition after one lookup finds nothing", async () => {
      fake.interceptors = [
        refuse(
          (r) => r.method === "POST",
          422,
          "unprocessable_entity",
          "volume limit of the account reached",
        ),
      ];
      await assert.rejects(
        storage.createVolume(
          {
            name: "pvc-a",
            sizeBytes: 1024 ** 3,
            zone: "nyc1",
            type: "do-block-storage",
            encrypted: false,
            tags: {},
          },
          options,
        ),
        { kind: "FailedPrecondition" },
      );
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.path}`),
        ["POST /v2/volumes", "GET /v2/volumes"],
      );
    });
  });
});
