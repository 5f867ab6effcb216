import { invalidArgument } from "../shared/errors.js";

/** The CSI spec's size limits for strings and maps (section "Size Limits"). */
const MAX_STRING_BYTES = 128;
const MAX_MAP_BYTES = 4096;

/** A required string field: present, and within the spec's 128 bytes. */
export function requireField(field: string, value: string): string {
  if (value === "") throw invalidArgument(`${field}: is required`);
  return checkLength(field, value);
}

export function checkLength(field: string, value: string): string {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_STRING_BYTES) {
    throw invalidArgument(`${field}: ${bytes} bytes is longer than the ${MAX_STRING_BYTES} bytes CSI allows`);
  }
  return value;
}

export function checkMapSize(field: string, map: Record<string, string>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(map)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (bytes > MAX_MAP_BYTES) {
    throw invalidArgument(`${field}: ${bytes} bytes is larger than the ${MAX_MAP_BYTES} bytes CSI allows`);
  }
}
