import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import { callAnswered } from "./operation-options.js";
import { toGrpcStatus } from "./status.js";

/**
 * Adapts an async handler to grpc-js's callback style; every thrown error goes through
 * `toGrpcStatus`, so handlers only ever throw domain errors. Once the handler has its answer the
 * call no longer listens for its cancellation (`callAnswered`).
 */
export function unary<Req, Res>(
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call.request, call).then(
      (response) => {
        callAnswered(call);
        callback(null, response);
      },
      (error: unknown) => {
        callAnswered(call);
        callback(toGrpcStatus(error));
      },
    );
  };
}
