import type { ServerUnaryCall } from "@grpc/grpc-js";
import type { OperationOptions } from "../controller/block-storage.js";

/**
 * The operation options of one call: its deadline, and a signal that fires when the CO cancels
 * the call (its own timeout, a deleted object), so the cloud work done for it stops instead of
 * running to the deadline. Made when the handler first asks (a trivial RPC never does), and only
 * listening until the call is answered: grpc-js emits "cancelled" at the end of every call, after
 * the status is sent, and aborting then would build an Error and abort every request signal made
 * for the call, all before grpc-js's write of the answer reaches the socket.
 */
export class CallOperation {
  private made: OperationOptions | undefined;
  private stopListening: (() => void) | undefined;

  constructor(private readonly call: ServerUnaryCall<unknown, unknown>) {}

  readonly options = (): OperationOptions => {
    if (this.made !== undefined) return this.made;
    const cancelled = new AbortController();
    const cancel = () => cancelled.abort(new Error("the CO cancelled the call"));
    if (this.call.cancelled) {
      cancel();
    } else {
      this.call.once("cancelled", cancel);
      this.stopListening = () => this.call.off("cancelled", cancel);
    }
    this.made = { deadline: callDeadline(this.call), signal: cancelled.signal };
    return this.made;
  };

  /** The handler has its answer: a cancellation from now on cancels nothing. */
  answered(): void {
    this.stopListening?.();
    this.stopListening = undefined;
  }
}

/** The gRPC deadline of a call as epoch milliseconds, or undefined when the caller set none. */
export function callDeadline(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  if (deadline instanceof Date) return deadline.getTime();
  return Number.isFinite(deadline) ? deadline : undefined;
}
