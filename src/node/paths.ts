import { isAbsolute, normalize } from "node:path";
import { invalidArgument } from "../shared/errors.js";

const MAX_PATH_BYTES = 4096;

/**
 * Paths come from the CO and end up as mount(8) arguments, so they must be absolute, free of
 * `.`/`..` segments (no escaping the directory kubelet chose) and of control characters.
 */
export function checkedPath(field: string, value: string): string {
  if (value === "") throw invalidArgument(`${field} is required`);
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) {
    throw invalidArgument(`${field}: path is longer than ${MAX_PATH_BYTES} bytes`);
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
  const normalized = normalize(value);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}
