import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import type { OperationOptions } from "../controller/block-storage.js";
import { CallOperation } from "./operation-options.js";
import { toGrpcStatus } from "./status.js";

/**
 * Adapts an async handler to grpc-js's callback style; every thrown error goes through
 * `toGrpcStatus`, so handlers only ever throw domain errors. `options()` gives the handler the
 * call's deadline and cancellation signal, which stop listening once the handler has its answer.
 */
export function unary<Req, Res>(
  handler: (request: Req, call: ServerUnaryCall<Req, Res>, options: () => OperationOptions) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const operation = new CallOperation(call);
    handler(call.request, call, operation.options).then(
      (response) => {
        operation.answered();
        callback(null, response);
      },
      (error: unknown) => {
        operation.answered();
        callback(toGrpcStatus(error));
      },
    );
  };
}
