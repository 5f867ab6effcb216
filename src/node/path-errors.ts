import { BallastError, invalidArgument } from "../shared/errors.js";

/**
 * A filesystem call that fails because the path the CO gave is too long for the kernel
 * (ENAMETOOLONG: a component over NAME_MAX, or a path over PATH_MAX once symlinks are followed)
 * failed on the request, not in the driver: InvalidArgument naming the path. The handlers
 * check lengths up front; this catches what only the kernel can see, also when an Internal
 * error wraps it. Other errors pass through unchanged.
 */
export function asPathError(error: unknown): unknown {
  const errno = (error instanceof BallastError ? error.cause : error) as NodeJS.ErrnoException | undefined;
  if (errno?.code !== "ENAMETOOLONG") return error;
  if (error instanceof BallastError && error.kind !== "Internal") return error;
  const path = errno.path === undefined ? "a path of the request" : JSON.stringify(errno.path);
  return invalidArgument(
    `${path} is too long for the kernel (ENAMETOOLONG from ${errno.syscall ?? "a file call"})`,
  );
}
