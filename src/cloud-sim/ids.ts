import { randomBytes } from "node:crypto";

export type IdPrefix = "vol" | "snap" | "sg" | "i" | "op" | "req";

/** Cloud ids: a kind prefix and 16 lowercase hex digits (`vol-` ids are 20 characters, the virtio serial limit). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}-${randomBytes(8).toString("hex")}`;
}
