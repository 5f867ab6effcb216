import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { unary } from "../../src/csi/unary.js";
import {
  ControllerPublishVolumeRequest,
  CreateVolumeRequest,
  CreateVolumeResponse,
  DeleteVolumeRequest,
  ListSnapshotsRequest,
  ListVolumesRequest,
} from "../../src/generated/csi.js";
import { createLogger } from "../../src/observability/logger.js";
import {
  credentialValues,
  isCredentialKey,
  MIN_SUBSTRING_LENGTH,
  scrub,
} from "../../src/observability/redaction.js";
import { aborted, invalidArgument } from "../../src/shared/errors.js";
import { CapturedLog, call, startCsiHarness } from "./csi-harness.js";

const SECRET_VALUES = {
  username: "user-7f3a91",
  password: "S3cr3t-Pa55w0rd-91c2",
  encryptionPassphrase: "luks-passphrase-5d8e0b",
  authToken: "tok-2b71c4e99a",
  apiKey: "AKIA-key-material-f00d",
  secretName: "ballast-cloud-credentials",
};

/** Every value in SECRET_VALUES, carried the ways a CSI request carries credentials. */
function createRequestWithCredentials(): CreateVolumeRequest {
  return CreateVolumeRequest.fromPartial({
    name: "pvc-redaction",
    secrets: { username: SECRET_VALUES.username, password: SECRET_VALUES.password },
    parameters: {
      type: "ssd",
      kmsKeyId: "kms-visible-id",
      apiKey: SECRET_VALUES.apiKey,
      "csi.storage.k8s.io/provisioner-secret-name": SECRET_VALUES.secretName,
    },
  });
}

function publishRequestWithCredentials(): ControllerPublishVolumeRequest {
  return ControllerPublishVolumeRequest.fromPartial({
    volumeId: "vol-0000000000000abc",
    nodeId: "i-0000000000000def",
    secrets: { token: SECRET_VALUES.authToken },
    volumeContext: {
      encryptionPassphrase: SECRET_VALUES.encryptionPassphrase,
      authToken: SECRET_VALUES.authToken,
      blockSize: "4096",
    },
  });
}

/** A careless domain error that quotes everything it was given. */
function everythingInMessage(request: unknown): never {
  throw invalidArgument(
    `rejected request ${JSON.stringify(request, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
  );
}

function assertNoSecret(text: string, where: string): void {
  for (const [field, value] of Object.entries(SECRET_VALUES)) {
    assert.equal(text.includes(value), false, `${where} contains the ${field} value ${value}`);
  }
}

describe("redaction", () => {
  test("credential values in a failing CreateVolume reach neither the log nor the gRPC error", async (t) => {
    const h = await startCsiHarness({
      controller: { createVolume: unary(async (request) => everythingInMessage(request)) },
    });
    t.after(() => h.close());

    const { error } = await call(h.controller.createVolume, h.controller, createRequestWithCredentials());

    assert.equal(error?.code, status.INVALID_ARGUMENT);
    assertNoSecret(error?.details ?? "", "gRPC error details");
    assertNoSecret(h.log.text, "log stream");
    assert.match(error?.details ?? "", /"password":"\[REDACTED\]"/);
    assert.match(error?.details ?? "", /"kmsKeyId":"kms-visible-id"/);
    assert.equal(h.log.rpcRecords().length, 1);
  });

  test("credential values in volume context and secrets of a failing ControllerPublishVolume stay out", async (t) => {
    const h = await startCsiHarness({
      controller: { controllerPublishVolume: unary(async (request) => everythingInMessage(request)) },
    });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.controllerPublishVolume,
      h.controller,
      publishRequestWithCredentials(),
    );

    assert.equal(error?.code, status.INVALID_ARGUMENT);
    assertNoSecret(error?.details ?? "", "gRPC error details");
    assertNoSecret(h.log.text, "log stream");
    assert.match(error?.details ?? "", /"blockSize":"4096"/);
  });

  test("a successful RPC carrying secrets logs none of them", async (t) => {
    const h = await startCsiHarness({
      controller: {
        createVolume: unary(async () =>
          CreateVolumeResponse.fromPartial({ volume: { volumeId: "vol-0000000000000123" } }),
        ),
        deleteVolume: unary(async () => ({})),
      },
    });
    t.after(() => h.close());

    await call(h.controller.createVolume, h.controller, createRequestWithCredentials());
    await call(
      h.controller.deleteVolume,
      h.controller,
      DeleteVolumeRequest.fromPartial({
        volumeId: "vol-0000000000000123",
        secrets: { password: SECRET_VALUES.password },
      }),
    );

    assert.equal(h.log.rpcRecords().length, 2);
    assertNoSecret(h.log.text, "log stream");
  });

  test("the logger censors secrets, tokens, passwords and authorization headers passed as fields", () => {
    const log = new CapturedLog();
    const logger = createLogger("info", log.stream);

    logger.info(
      {
        secrets: { password: SECRET_VALUES.password },
        token: SECRET_VALUES.authToken,
        request: {
          headers: { authorization: `Bearer ${SECRET_VALUES.authToken}` },
          password: SECRET_VALUES.password,
        },
      },
      "cloud call",
    );

    assertNoSecret(log.text, "log stream");
    const [record] = log.records();
    assert.equal(record?.secrets, "[REDACTED]");
    assert.equal(record?.token, "[REDACTED]");
  });

  test("keys that name credentials are recognised; references to them are not", () => {
    for (const key of [
      "password",
      "apiKey",
      "api_key",
      "encryption-key",
      "secretAccessKey",
      "csi.storage.k8s.io/node-stage-secret-name",
      "authToken",
      "bearer",
      "encryptionPassphrase",
      "PRIVATE_KEY",
      "credentials.json",
    ]) {
      assert.equal(isCredentialKey(key), true, key);
    }
    for (const key of ["kmsKeyId", "keyName", "fsType", "blockSize", "zone", "monkey", "keyboardLayout"]) {
      assert.equal(isCredentialKey(key), false, key);
    }
  });

  test("credentialValues collects every secrets map value and credential-keyed value, longest first", () => {
    const values = credentialValues({
      name: "pvc-1",
      secrets: { a: "one", b: "three" },
      parameters: { apiKey: "fourteen-chars", type: "ssd" },
      volumeContext: { nodeStageSecrets: { x: "nested-secret" } },
    });

    assert.deepEqual(values, ["fourteen-chars", "nested-secret", "three", "one"]);
  });

  test("scrub replaces every occurrence of every value of the minimum length or longer", () => {
    assert.equal(
      scrub("a=secret-one b=secret-three c=secret-one", ["secret-three", "secret-one"]),
      "a=[REDACTED] b=[REDACTED] c=[REDACTED]",
    );
  });

  test("a one-letter secret is scrubbed where it stands quoted, and nowhere else", () => {
    const credentials = credentialValues({ secrets: { password: "a" } });
    assert.equal(
      scrub('volume vol-0abc is attached to a node; request {"password":"a"}', credentials),
      'volume vol-0abc is attached to a node; request {"password":"[REDACTED]"}',
    );
  });

  test("a secret one character short of the minimum is scrubbed only where quoted", () => {
    const short = "x".repeat(MIN_SUBSTRING_LENGTH - 1);
    assert.equal(scrub(`pre${short}post and "${short}"`, [short]), `pre${short}post and "[REDACTED]"`);
  });

  test("page cursors are not credentials; tokens that authenticate still are", () => {
    for (const key of [
      "startingToken",
      "starting_token",
      "nextToken",
      "next_token",
      "pageToken",
      "nextPageToken",
    ]) {
      assert.equal(isCredentialKey(key), false, key);
    }
    for (const key of ["token", "authToken", "sessionToken", "refresh_token", "nextSecret"]) {
      assert.equal(isCredentialKey(key), true, key);
    }
  });

  /** A list handler that refuses its starting_token, quoting it as the driver's lists do. */
  const refuseStartingToken = async (request: { startingToken: string }): Promise<never> => {
    throw aborted(`starting_token: "${request.startingToken}" is not valid`);
  };

  test("a failing ListVolumes quotes its starting_token unredacted", async (t) => {
    const h = await startCsiHarness({ controller: { listVolumes: unary(refuseStartingToken) } });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.listVolumes,
      h.controller,
      ListVolumesRequest.fromPartial({ maxEntries: 10, startingToken: "page-token-2f9c" }),
    );

    assert.equal(error?.code, status.ABORTED);
    assert.equal(error?.details, 'starting_token: "page-token-2f9c" is not valid');
    assert.match(h.log.text, /starting_token: \\"page-token-2f9c\\" is not valid/);
  });

  test("a failing ListSnapshots quotes its starting_token unredacted", async (t) => {
    const h = await startCsiHarness({ controller: { listSnapshots: unary(refuseStartingToken) } });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.listSnapshots,
      h.controller,
      ListSnapshotsRequest.fromPartial({ startingToken: "snap-page-77" }),
    );

    assert.equal(error?.details, 'starting_token: "snap-page-77" is not valid');
  });
});
