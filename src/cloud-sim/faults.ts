import type { components } from "../generated/block-storage.v1.js";
import type { FaultConfig } from "./config.js";

export type FaultKind = components["schemas"]["FaultKind"];
type FaultRule = components["schemas"]["FaultRule"];

export const DEFAULT_FAULT_SEED = 1;

export type FaultDecision =
  | { kind: "none" }
  | { kind: "error"; status: number; retryAfterSeconds: number }
  | { kind: "rateLimit"; retryAfterSeconds: number }
  | { kind: "dropConnection" }
  | { kind: "crashAfterCommit" };

export interface FaultOutcome {
  latencyMs: number;
  decision: FaultDecision;
}

/** mulberry32: a tiny seeded generator, so a fault run with the same seed repeats exactly. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Decides, per `/v1` request, which configured faults fire. Rules are matched in order; counted
 * rules stop after `count` firings; probabilities draw from a seeded generator.
 */
export class FaultInjector {
  private rules: FaultRule[] = [];
  private seed = DEFAULT_FAULT_SEED;
  private random = seededRandom(DEFAULT_FAULT_SEED);

  constructor(config: FaultConfig) {
    this.set(config);
  }

  set(config: FaultConfig): FaultConfig {
    this.rules = config.rules.map((rule) => ({ ...rule }));
    this.seed = config.seed ?? DEFAULT_FAULT_SEED;
    this.random = seededRandom(this.seed);
    return this.get();
  }

  get(): FaultConfig {
    return { seed: this.seed, rules: this.rules.map((rule) => ({ ...rule })) };
  }

  decide(operationId: string): FaultOutcome {
    let latencyMs = 0;
    let decision: FaultDecision = { kind: "none" };
    for (const rule of this.rules) {
      if (rule.operation !== "*" && rule.operation !== operationId) continue;
      if (rule.kind !== "latency" && decision.kind !== "none") continue;
      if (rule.count !== undefined && rule.count <= 0) continue;
      if (this.random() >= (rule.probability ?? 1)) continue;
      if (rule.count !== undefined) rule.count -= 1;
      switch (rule.kind) {
        case "latency":
          latencyMs += rule.latencyMs ?? 0;
          break;
        case "error":
          decision = {
            kind: "error",
            status: rule.status ?? 503,
            retryAfterSeconds: rule.retryAfterSeconds ?? 1,
          };
          break;
        case "rateLimit":
          decision = { kind: "rateLimit", retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
          break;
        case "dropConnection":
          decision = { kind: "dropConnection" };
          break;
        case "crashAfterCommit":
          decision = { kind: "crashAfterCommit" };
          break;
      }
    }
    return { latencyMs, decision };
  }
}
