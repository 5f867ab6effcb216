import { randomInt } from "node:crypto";
import type { RequestListener } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../observability/logger.js";
import type { ContractViolation, VolumeType, Zone } from "../config.js";
import type { AttachLimits, CloudEngine, IdGenerator } from "../engine/index.js";
import type { FaultInjector } from "../faults.js";
import type { RequestLog } from "../request-log.js";
import type { InstanceRecord, OperationRecord } from "../state.js";

/** The APIs the reference cloud can serve over its one engine. */
export const API_NAMES = ["ballast", "digitalocean", "hetzner"] as const;
export type ApiName = (typeof API_NAMES)[number];

/** What a face's HTTP front is built from once the engine runs. */
export interface FaceContext {
  engine: CloudEngine;
  faults: FaultInjector;
  requestLog: RequestLog;
  tokens: string[];
  /** The reference cloud's admin routes, for faces whose API has no room for them. */
  admin: RequestListener;
  /** The instance that stands for this machine, if any (the metadata service answers for it). */
  localInstance: InstanceRecord | undefined;
  /** Where a volume's by-id link is (or would be) on this machine. */
  byIdPath: (volumeId: string) => string;
  /** Overrides the cloud's real request budget; false turns rate limiting off. */
  rateLimit?: RateLimitOverride;
  logger?: Logger;
  onContractViolation?: (violation: ContractViolation) => void;
}

export type RateLimitOverride = false | { requests: number; perSeconds: number };

/** One cloud's API over the engine: its ids, limits, device links, defaults and HTTP front. */
export interface Face {
  api: ApiName;
  /** Where a client of this API points, under the server's root (`""` or `/v1`). */
  basePath: string;
  defaultZones: Zone[];
  volumeTypes: VolumeType[];
  /** Ids in the cloud's format; `taken` says whether an id is in use already. */
  newId(taken: (id: string) => boolean): IdGenerator;
  /** Whether an id found in a state file fits this API (a data dir served as another API does not). */
  ownsId(kind: "volume" | "instance", id: string): boolean;
  attachLimits: AttachLimits;
  /** The name of the by-id link of an attached volume, as the cloud's guests see it. */
  linkName(volume: { id: string; name?: string }): string;
  listener(context: FaceContext): RequestListener;
}

/** Positive integer ids as clouds with numeric ids give them: random, never one already in use. */
export function integerIds(taken: (id: string) => boolean): () => string {
  return () => {
    for (;;) {
      const id = String(randomInt(10_000_000, 2 ** 31 - 1));
      if (!taken(id)) return id;
    }
  };
}

export const isIntegerId = (id: string): boolean => /^[1-9][0-9]{0,15}$/.test(id);

/**
 * Waits for an operation's work to finish, for APIs whose calls answer once done (DigitalOcean's
 * create and delete). Polls the engine at the pace its own estimate of the remaining time gives.
 */
export async function finished(engine: CloudEngine, operation: OperationRecord): Promise<OperationRecord> {
  // The runner finishes the very record the engine handed out, so watching it is enough.
  while (operation.status === "running") {
    await sleep(Math.min(100, Math.max(2, engine.remainingMs(operation))));
  }
  return operation;
}
