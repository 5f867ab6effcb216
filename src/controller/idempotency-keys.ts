import { createHash, randomUUID } from "node:crypto";

/**
 * The Idempotency-Key for creating a named resource: a hash of the driver name, the kind and the
 * CO's name, so a retry after a lost answer or a controller crash replays the first request
 * instead of making a second resource. The CO never reuses a name for a different object.
 */
export function creationKey(
  driverName: string,
  kind: "volume" | "snapshot" | "snapshot-group",
  name: string,
): string {
  return createHash("sha256").update(`${driverName}\0${kind}\0${name}`).digest("hex");
}

/**
 * The key for a state-changing call that may legitimately repeat over a volume's life (attach,
 * detach, resize, modify). A fixed key would replay a stale answer after the state moved on
 * (attach, detach, attach again), so each RPC gets its own key; within the RPC the client's
 * retries share it, and across RPCs the current state is read first.
 */
export function operationKey(driverName: string, kind: string, resourceId: string): string {
  return createHash("sha256").update(`${driverName}\0${kind}\0${resourceId}\0${randomUUID()}`).digest("hex");
}
