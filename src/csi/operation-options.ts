import type { ServerUnaryCall } from "@grpc/grpc-js";
import type { OperationOptions } from "../controller/block-storage.js";

/** How each call whose options were made stops listening for its cancellation. */
const stopListening = new WeakMap<ServerUnaryCall<unknown, unknown>, () => void>();

/**
 * The call's deadline, and a signal that fires when the CO cancels the call (its own timeout, a
 * deleted object), so the cloud work done for it stops instead of running to the deadline. Only
 * until the call is answered (`callAnswered`): grpc-js emits "cancelled" at the end of every call,
 * after the status is sent, and aborting then would build an Error and abort every request signal
 * made for the call, all before grpc-js's write of the answer reaches the socket.
 */
export function operationOptions(call: ServerUnaryCall<unknown, unknown>): OperationOptions {
  const cancelled = new AbortController();
  if (call.cancelled) {
    cancelled.abort(new Error("the CO cancelled the call"));
  } else {
    const onCancelled = () => cancelled.abort(new Error("the CO cancelled the call"));
    call.once("cancelled", onCancelled);
    const earlier = stopListening.get(call);
    stopListening.set(call, () => {
      earlier?.();
      call.off("cancelled", onCancelled);
    });
  }
  return { deadline: callDeadline(call), signal: cancelled.signal };
}

/** The handler of `call` has its answer: a cancellation from now on cancels nothing. */
export function callAnswered(call: ServerUnaryCall<unknown, unknown>): void {
  stopListening.get(call)?.();
  stopListening.delete(call);
}

/** The gRPC deadline of a call as epoch milliseconds, or undefined when the caller set none. */
export function callDeadline(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  if (deadline instanceof Date) return deadline.getTime();
  return Number.isFinite(deadline) ? deadline : undefined;
}
