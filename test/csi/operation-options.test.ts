import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import type { OperationOptions } from "../../src/controller/block-storage.js";
import { unary } from "../../src/csi/unary.js";

type Call = ServerUnaryCall<unknown, unknown>;

/** What of a grpc-js server call the adapter uses: its events, `cancelled` and its deadline. */
function fakeCall(deadline: Date | number = Number.POSITIVE_INFINITY): Call & EventEmitter {
  const call = new EventEmitter() as Call & EventEmitter;
  Object.assign(call, { request: {}, cancelled: false, getDeadline: () => deadline });
  return call;
}

/** Runs `handler` through `unary` on `call`; resolves with the options it made once answered. */
function serve(
  call: Call,
  handler: (options: OperationOptions) => Promise<unknown>,
): Promise<{ options: OperationOptions; error: unknown }> {
  return new Promise((resolve) => {
    let options: OperationOptions | undefined;
    const callback: sendUnaryData<unknown> = (error) =>
      resolve({ options: options as OperationOptions, error });
    unary(async (_request, _call, made) => {
      options = made();
      return handler(options);
    })(call, callback);
  });
}

describe("a call's operation options", () => {
  test("a CO cancelling the call while its handler works aborts the operation's signal", async () => {
    const call = fakeCall();
    let working: (options: OperationOptions) => void = () => {};
    const started = new Promise<OperationOptions>((resolve) => {
      working = resolve;
    });
    const answered = serve(call, async (options) => {
      working(options);
      await new Promise((resolve) => options.signal?.addEventListener("abort", resolve));
      throw new Error("stopped");
    });
    const options = await started;

    call.emit("cancelled", "cancelled");

    await answered;
    assert.equal(options.signal?.aborted, true);
    assert.equal((options.signal?.reason as Error | undefined)?.message, "the CO cancelled the call");
  });

  test("grpc-js's 'cancelled' at the end of an answered call aborts nothing", async () => {
    const call = fakeCall();
    const { options, error } = await serve(call, async () => ({}));

    call.emit("cancelled", "cancelled");

    assert.equal(error, null);
    assert.equal(options.signal?.aborted, false);
    assert.equal(call.listenerCount("cancelled"), 0);
  });

  test("a failed call stops listening for its cancellation too", async () => {
    const call = fakeCall();
    const { options, error } = await serve(call, async () => {
      throw new Error("no such volume");
    });

    call.emit("cancelled", "cancelled");

    assert.notEqual(error, null);
    assert.equal(options.signal?.aborted, false);
    assert.equal(call.listenerCount("cancelled"), 0);
  });

  test("a call already cancelled when its handler starts has an aborted signal", async () => {
    const call = fakeCall();
    Object.assign(call, { cancelled: true });
    const { options } = await serve(call, async () => ({}));

    assert.equal(options.signal?.aborted, true);
  });

  test("the deadline is the call's, in epoch milliseconds", async () => {
    const { options } = await serve(fakeCall(new Date(1_800_000_000_000)), async () => ({}));

    assert.equal(options.deadline, 1_800_000_000_000);
  });

  test("a call without a deadline has none", async () => {
    const { options } = await serve(fakeCall(Number.POSITIVE_INFINITY), async () => ({}));

    assert.equal(options.deadline, undefined);
  });

  test("asked twice, the options are the same and the call is listened to once", async () => {
    const call = fakeCall();
    let listeners = -1;
    const answered = new Promise<boolean>((resolve) => {
      unary(async (_request, _call, options) => {
        const first = options();
        const second = options();
        const same = first === second;
        listeners = call.listenerCount("cancelled");
        return same;
      })(call, (_error, same) => resolve(same === true));
    });

    assert.equal(await answered, true);
    assert.equal(listeners, 1);
  });

  test("a handler that never asks for options leaves the call unlistened", async () => {
    const call = fakeCall();
    let listeners = -1;
    await new Promise<void>((resolve) => {
      unary(async () => {
        listeners = call.listenerCount("cancelled");
        return {};
      })(call, () => resolve());
    });

    assert.equal(listeners, 0);
  });
});
