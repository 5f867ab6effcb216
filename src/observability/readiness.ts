import { withDeadline } from "./deadline.js";

export interface ReadinessReport {
  ready: boolean;
  /** Check name → "ok" or why it failed. */
  checks: Record<string, string>;
}

export type Readiness = () => Promise<ReadinessReport>;

/** A named readiness check: resolves when healthy, rejects (or times out) saying why not. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>;

/**
 * Runs named checks in parallel, each bounded by `timeoutMs`, and reports every one of them; the
 * process is ready only when all pass. Used for `/readyz`: e.g. `{ grpc: socket serving,
 * cloud: API reachable }` on the controller, `{ grpc }` on a node.
 */
export function readinessFromChecks(checks: Record<string, ReadinessCheck>, timeoutMs = 5000): Readiness {
  return async () => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]): Promise<[string, string]> => {
        try {
          await withDeadline(check, timeoutMs);
          return [name, "ok"];
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)];
        }
      }),
    );
    return { ready: entries.every(([, result]) => result === "ok"), checks: Object.fromEntries(entries) };
  };
}
