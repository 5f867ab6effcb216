/**
 * Domain errors. Every layer below the gRPC adapter throws these (or lets cloud errors be
 * translated into them); `src/csi/status.ts` is the one place that turns them into gRPC status.
 * The kinds mirror gRPC status names because the CSI spec defines behaviour in those terms.
 */
export type ErrorKind =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "OutOfRange"
  | "ResourceExhausted"
  | "Aborted"
  | "Unavailable"
  | "DeadlineExceeded"
  | "Unimplemented"
  | "PermissionDenied"
  | "Unauthenticated"
  | "Internal";

export class BallastError extends Error {
  override readonly name = "BallastError";

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const invalidArgument = (message: string) => new BallastError("InvalidArgument", message);
export const notFound = (message: string) => new BallastError("NotFound", message);
export const alreadyExists = (message: string) => new BallastError("AlreadyExists", message);
export const failedPrecondition = (message: string) => new BallastError("FailedPrecondition", message);
export const outOfRange = (message: string) => new BallastError("OutOfRange", message);
export const resourceExhausted = (message: string) => new BallastError("ResourceExhausted", message);
export const aborted = (message: string) => new BallastError("Aborted", message);
export const unavailable = (message: string, cause?: unknown) =>
  new BallastError("Unavailable", message, { cause });
export const internal = (message: string, cause?: unknown) =>
  new BallastError("Internal", message, { cause });
