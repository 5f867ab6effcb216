import { status } from "@grpc/grpc-js";
import { isServiceError } from "../../src/demo/csi-client.js";

/**
 * Codes after which a CO retries the same call: the plugin is down or restarting (UNAVAILABLE),
 * the call ran out of time (DEADLINE_EXCEEDED), an operation is pending (ABORTED), or a limit is
 * momentarily reached (RESOURCE_EXHAUSTED). Anything else ends the cycle as a real failure.
 */
export const RETRYABLE_CODES: ReadonlySet<status> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.RESOURCE_EXHAUSTED,
]);

export interface RpcFigures {
  calls: number;
  succeeded: number;
  /** Failed attempts by gRPC code name. */
  failedByCode: Record<string, number>;
  nonRetryable: number;
}

/** Every attempt of every RPC the workers made, and the non-retryable failures in detail. */
export class OperationLog {
  readonly byMethod = new Map<string, RpcFigures>();
  readonly nonRetryableFailures: string[] = [];

  private figures(method: string): RpcFigures {
    let figures = this.byMethod.get(method);
    if (figures === undefined) {
      figures = { calls: 0, succeeded: 0, failedByCode: {}, nonRetryable: 0 };
      this.byMethod.set(method, figures);
    }
    return figures;
  }

  succeeded(method: string): void {
    const figures = this.figures(method);
    figures.calls += 1;
    figures.succeeded += 1;
  }

  /** Records a failed attempt; returns whether the caller may retry it. */
  failed(method: string, error: unknown, what: string): boolean {
    const figures = this.figures(method);
    figures.calls += 1;
    const code = isServiceError(error) ? (status[error.code] ?? String(error.code)) : "NOT_A_STATUS";
    figures.failedByCode[code] = (figures.failedByCode[code] ?? 0) + 1;
    const retryable = isServiceError(error) && RETRYABLE_CODES.has(error.code);
    if (!retryable) {
      figures.nonRetryable += 1;
      const detail = isServiceError(error) ? error.details : String(error);
      this.nonRetryableFailures.push(`${method} ${what}: ${code}: ${detail}`);
    }
    return retryable;
  }

  totals(): RpcFigures {
    const total: RpcFigures = { calls: 0, succeeded: 0, failedByCode: {}, nonRetryable: 0 };
    for (const figures of this.byMethod.values()) {
      total.calls += figures.calls;
      total.succeeded += figures.succeeded;
      total.nonRetryable += figures.nonRetryable;
      for (const [code, count] of Object.entries(figures.failedByCode)) {
        total.failedByCode[code] = (total.failedByCode[code] ?? 0) + count;
      }
    }
    return total;
  }
}
