import type { components } from "../generated/block-storage.v1.js";

type RequestLogBody = components["schemas"]["RequestLog"];
export type RequestLogEntry = components["schemas"]["RequestLogEntry"];
type StateWrites = components["schemas"]["StateWrites"];

const MAX_ENTRIES = 1000;

/**
 * Counters per operation and status, the most recent requests and the state writes, for tests and
 * benchmarks: a mutation waits for a state write, so their number and time explain its latency.
 */
export class RequestLog {
  private counters = new Map<string, { operationId: string; status: number; count: number }>();
  private entries: RequestLogEntry[] = [];
  private stateWrites: StateWrites = { count: 0, bytes: 0, durationMs: 0 };

  record(entry: RequestLogEntry): void {
    const key = `${entry.operationId} ${entry.status}`;
    const counter = this.counters.get(key) ?? {
      operationId: entry.operationId,
      status: entry.status,
      count: 0,
    };
    counter.count += 1;
    this.counters.set(key, counter);
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
  }

  recordStateWrite(bytes: number, durationMs: number): void {
    this.stateWrites.count += 1;
    this.stateWrites.bytes += bytes;
    this.stateWrites.durationMs += durationMs;
  }

  read(operationId?: string): RequestLogBody {
    const wanted = (id: string) => operationId === undefined || id === operationId;
    return {
      counters: [...this.counters.values()].filter((c) => wanted(c.operationId)).map((c) => ({ ...c })),
      entries: this.entries.filter((e) => wanted(e.operationId)),
      stateWrites: { ...this.stateWrites, durationMs: Math.round(this.stateWrites.durationMs * 1000) / 1000 },
    };
  }

  reset(): void {
    this.counters.clear();
    this.entries = [];
    this.stateWrites = { count: 0, bytes: 0, durationMs: 0 };
  }
}
