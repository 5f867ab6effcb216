import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { hetznerBlockStorage } from "../../src/providers/hetzner/block-storage-adapter.js";
import { FakeHetzner, hetznerError } from "./hetzner-fake-api.js";

/** A fixed clock: every wait the client decides on shows in `slept` instead of passing. */
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const options = { deadline: NOW + 120_000, idempotencyKey: "unused-by-hetzner" };
const attachInput = { readOnly: false, exclusive: true };

describe("Hetzner provider: refusals that did nothing are retried", () => {
  let fake: FakeHetzner;
  let slept: number[];
  beforeEach(async () => {
    fake = await FakeHetzner.start();
    fake.actionPolls = 0;
    fake.addServer(7);
    slept = [];
  });
  afterEach(() => fake.close());

  const storage = () =>
    hetznerBlockStorage(
      fake.client({
        now: () => NOW,
        sleep: async (ms) => {
          slept.push(ms);
        },
      }),
      { now: () => NOW },
    );

  /** Answers the first `count` attach requests with `answer`, then lets them through. */
  const refuseAttach = (count: number, answer: Parameters<typeof hetznerError>) => {
    let refused = 0;
    fake.interceptors = [
      (r, res) => {
        if (!(r.method === "POST" && r.path.endsWith("/actions/attach")) || refused >= count) return false;
        refused += 1;
        const [, status, code, message, headers] = answer;
        hetznerError(res, status, code, message, headers);
        return true;
      },
    ];
  };

  test("locked, then conflict, then the attach goes through after two backoff waits", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    let answers = 0;
    fake.interceptors = [
      (r, res) => {
        if (!(r.method === "POST" && r.path.endsWith("/actions/attach"))) return false;
        answers += 1;
        if (answers === 1) hetznerError(res, 423, "locked", "volume is locked by another action");
        else if (answers === 2) hetznerError(res, 409, "conflict", "resource changed");
        else return false;
        return true;
      },
    ];
    await storage().attachVolume(String(volume.id), "7", attachInput, options);
    assert.equal(fake.calls("POST", /\/actions\/attach$/), 3);
    assert.deepEqual(slept, [500, 1000]);
    assert.equal(fake.volumes.get(volume.id)?.server, 7);
  });

  test("rate_limit_exceeded waits until RateLimit-Reset, then sends the request again", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    const reset = String(NOW / 1000 + 7);
    refuseAttach(1, [
      undefined as never,
      429,
      "rate_limit_exceeded",
      "limit reached",
      { "ratelimit-reset": reset },
    ]);
    await storage().attachVolume(String(volume.id), "7", attachInput, options);
    assert.deepEqual(slept, [7000]);
    assert.equal(fake.calls("POST", /\/actions\/attach$/), 2);
  });

  test("a RateLimit-Reset past the deadline fails at once with DeadlineExceeded", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    const reset = String(NOW / 1000 + 600);
    refuseAttach(1, [
      undefined as never,
      429,
      "rate_limit_exceeded",
      "limit reached",
      { "ratelimit-reset": reset },
    ]);
    await assert.rejects(storage().attachVolume(String(volume.id), "7", attachInput, options), {
      kind: "DeadlineExceeded",
      message:
        "Hetzner Cloud: cloud attach_volume_to_server: deadline exceeded; last error: 429 rate_limit_exceeded: limit reached (next attempt in 600000 ms, 120000 ms left)",
    });
    assert.deepEqual(slept, []);
  });

  test("locked that never clears ends as Aborted after the retries", async () => {
    const volume = fake.addVolume({ name: "pvc-a" });
    refuseAttach(100, [undefined as never, 423, "locked", "volume is locked"]);
    await assert.rejects(storage().attachVolume(String(volume.id), "7", attachInput, options), {
      kind: "Aborted",
      message: "Hetzner Cloud: cloud attach_volume_to_server: 423 locked: volume is locked",
    });
    assert.equal(fake.calls("POST", /\/actions\/attach$/), 11);
    assert.deepEqual(slept, [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000, 8000]);
  });
});
