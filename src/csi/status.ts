import { Metadata, type StatusObject, status } from "@grpc/grpc-js";
import { BallastError, type ErrorKind } from "../shared/errors.js";

const CODE_OF_KIND: Record<ErrorKind, status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  FailedPrecondition: status.FAILED_PRECONDITION,
  OutOfRange: status.OUT_OF_RANGE,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  Aborted: status.ABORTED,
  Unavailable: status.UNAVAILABLE,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  Unimplemented: status.UNIMPLEMENTED,
  PermissionDenied: status.PERMISSION_DENIED,
  Unauthenticated: status.UNAUTHENTICATED,
  Internal: status.INTERNAL,
};

/**
 * The one place where errors become gRPC status. Domain errors keep their kind and message;
 * anything else is a bug and becomes INTERNAL with its message, so the CO sees what broke.
 */
export function toGrpcStatus(error: unknown): StatusObject {
  if (error instanceof BallastError) {
    return { code: CODE_OF_KIND[error.kind], details: error.message, metadata: new Metadata() };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: `internal error: ${message}`, metadata: new Metadata() };
}
