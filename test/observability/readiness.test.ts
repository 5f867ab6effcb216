import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readinessFromChecks } from "../../src/observability/readiness.js";

describe("readinessFromChecks", () => {
  test("is ready when every check passes", async () => {
    const readiness = readinessFromChecks({ grpc: async () => {}, cloud: async () => {} });

    assert.deepEqual(await readiness(), { ready: true, checks: { grpc: "ok", cloud: "ok" } });
  });

  test("is not ready when one check fails, and reports every check", async () => {
    const readiness = readinessFromChecks({
      grpc: async () => {},
      cloud: async () => {
        throw new Error("cloud answered 503");
      },
    });

    assert.deepEqual(await readiness(), {
      ready: false,
      checks: { grpc: "ok", cloud: "cloud answered 503" },
    });
  });

  test("a check that never settles fails with a timeout and its signal is aborted", async () => {
    let aborted = false;
    const readiness = readinessFromChecks(
      {
        cloud: (signal) =>
          new Promise<void>(() => {
            signal.addEventListener("abort", () => {
              aborted = true;
            });
          }),
      },
      20,
    );

    assert.deepEqual(await readiness(), { ready: false, checks: { cloud: "timed out after 20 ms" } });
    assert.equal(aborted, true);
  });
});
