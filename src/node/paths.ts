import { isAbsolute, normalize } from "node:path";
import { invalidArgument, notFound } from "../shared/errors.js";

/** Linux's PATH_MAX and NAME_MAX: longer paths or components fail in the kernel with ENAMETOOLONG. */
const MAX_PATH_BYTES = 4096;
const MAX_COMPONENT_BYTES = 255;

/**
 * Paths come from the CO and end up as mount(8) arguments, so they must be absolute, free of
 * `.`/`..` segments (no escaping the directory kubelet chose) and of control characters, and
 * within the kernel's length limits, so a path no filesystem call could take is refused up front.
 */
export function checkedPath(field: string, value: string): string {
  if (value === "") throw invalidArgument(`${field} is required`);
  const bytes = Buffer.byteLength(value);
  if (bytes >= MAX_PATH_BYTES) {
    throw invalidArgument(
      `${field}: path is ${bytes} bytes, the kernel takes at most ${MAX_PATH_BYTES - 1} (PATH_MAX ${MAX_PATH_BYTES} with its terminating NUL)`,
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw invalidArgument(`${field}: ${JSON.stringify(value)} contains control characters`);
  }
  if (!isAbsolute(value)) throw invalidArgument(`${field}: ${JSON.stringify(value)} is not an absolute path`);
  const segments = value.split("/");
  if (segments.includes("..") || segments.includes(".")) {
    throw invalidArgument(`${field}: ${JSON.stringify(value)} contains "." or ".." segments`);
  }
  const tooLong = segments.find((segment) => Buffer.byteLength(segment) > MAX_COMPONENT_BYTES);
  if (tooLong !== undefined) {
    throw invalidArgument(
      `${field}: path component ${JSON.stringify(tooLong)} is ${Buffer.byteLength(tooLong)} bytes, longer than the ${MAX_COMPONENT_BYTES} bytes a file name may have`,
    );
  }
  const normalized = normalize(value);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/**
 * A path where a volume is expected to be already (stats, expand). Nothing the driver publishes is
 * at a relative path, so that is "no volume there", NotFound as the CSI spec's tables have it, not
 * a malformed request; every other check is `checkedPath`'s.
 */
export function checkedVolumePath(field: string, value: string): string {
  if (value !== "" && !isAbsolute(value)) {
    throw notFound(
      `${field}: ${JSON.stringify(value)} is not an absolute path, so no volume is published there`,
    );
  }
  return checkedPath(field, value);
}
