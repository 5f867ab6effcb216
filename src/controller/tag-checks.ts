import { invalidArgument } from "../shared/errors.js";

/**
 * Keys that would reach an object's prototype rather than become a tag of their own: a
 * `__proto__` key assigned into a tag map vanishes, so the volume would be made without it.
 */
const OBJECT_INTERNAL_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** C0 and C1 control characters and DEL: no cloud's tag API takes them, and logs would garble. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

function controlCharacterIn(text: string): string | undefined {
  const found = CONTROL_CHARACTER.exec(text)?.[0];
  if (found === undefined) return undefined;
  return `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A tag key from a StorageClass, or InvalidArgument naming the field and the key. */
export function checkedTagKey(field: string, key: string): string {
  if (OBJECT_INTERNAL_KEYS.has(key)) {
    throw invalidArgument(
      `${field}: tag key ${JSON.stringify(key)} is not allowed (${[...OBJECT_INTERNAL_KEYS].join(", ")} are refused)`,
    );
  }
  const control = controlCharacterIn(key);
  if (control !== undefined) {
    throw invalidArgument(
      `${field}: tag key ${JSON.stringify(key)} contains a control character (${control})`,
    );
  }
  return key;
}

/** A tag value, or InvalidArgument naming the field and the tag's key. */
export function checkedTagValue(field: string, key: string, value: string): string {
  const control = controlCharacterIn(value);
  if (control !== undefined) {
    throw invalidArgument(
      `${field}: the value of tag ${JSON.stringify(key)} contains a control character (${control})`,
    );
  }
  return value;
}
