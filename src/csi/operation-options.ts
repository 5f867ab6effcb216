import type { ServerUnaryCall } from "@grpc/grpc-js";
import type { OperationOptions } from "../controller/block-storage.js";
import { callDeadline } from "./unary.js";

/**
 * The call's deadline, and a signal that fires when the CO cancels the call (its own timeout, a
 * deleted object), so the cloud work done for it stops instead of running to the deadline.
 */
export function operationOptions(call: ServerUnaryCall<unknown, unknown>): OperationOptions {
  const cancelled = new AbortController();
  if (call.cancelled) cancelled.abort(new Error("the CO cancelled the call"));
  else call.once("cancelled", () => cancelled.abort(new Error("the CO cancelled the call")));
  return { deadline: callDeadline(call), signal: cancelled.signal };
}
