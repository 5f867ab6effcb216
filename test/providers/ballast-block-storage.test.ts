import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import { createLogger } from "../../src/observability/logger.js";
import { cloudBlockStorage } from "../../src/providers/ballast/block-storage-adapter.js";
import { BallastError } from "../../src/shared/errors.js";
import { ScriptedServer } from "../cloud/scripted-server.js";

describe("the controller's adapter over an unreachable cloud", () => {
  test("a retried failure is Unavailable, and its log line names the cause once", async () => {
    const server = await ScriptedServer.start();
    const url = server.url;
    await server.close();
    const client = createBlockStorageClient({
      baseUrl: url,
      token: "t",
      retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 },
    });
    const lines: string[] = [];
    const logger = createLogger(
      "info",
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    try {
      const error = await cloudBlockStorage(client)
        .listZones({ deadline: Date.now() + 5_000 })
        .then(
          () => assert.fail("listZones succeeded without a cloud"),
          (rejected: unknown) => rejected,
        );
      assert.ok(error instanceof BallastError, String(error));
      assert.equal(error.kind, "Unavailable");
      assert.match(
        error.message,
        /^cloud listZones: connection_refused: .*ECONNREFUSED.* \(gave up after 3 attempts\)$/,
      );
      logger.warn({ err: error }, "cloud not reachable");
      const logged = JSON.parse(lines[0] ?? "{}") as { err?: { message?: string } };
      const message = logged.err?.message ?? "";
      assert.equal(message.split("ECONNREFUSED").length - 1, 1, message);
      assert.equal(message.split("cloud listZones").length - 1, 1, message);
    } finally {
      await client.close();
    }
  });
});
