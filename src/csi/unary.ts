import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import { toGrpcStatus } from "./status.js";

/**
 * Adapts an async handler to grpc-js's callback style; every thrown error goes through
 * `toGrpcStatus`, so handlers only ever throw domain errors.
 */
export function unary<Req, Res>(
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call.request, call).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toGrpcStatus(error)),
    );
  };
}

/** The gRPC deadline of a call as epoch milliseconds, or undefined when the caller set none. */
export function callDeadline(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  if (deadline instanceof Date) return deadline.getTime();
  return Number.isFinite(deadline) ? deadline : undefined;
}
