import type { components } from "../generated/block-storage.v1.js";

type RequestLogBody = components["schemas"]["RequestLog"];
export type RequestLogEntry = components["schemas"]["RequestLogEntry"];

const MAX_ENTRIES = 1000;

/** Counters per operation and status, plus the most recent requests, for tests and benchmarks. */
export class RequestLog {
  private counters = new Map<string, { operationId: string; status: number; count: number }>();
  private entries: RequestLogEntry[] = [];

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

  read(operationId?: string): RequestLogBody {
    const wanted = (id: string) => operationId === undefined || id === operationId;
    return {
      counters: [...this.counters.values()].filter((c) => wanted(c.operationId)).map((c) => ({ ...c })),
      entries: this.entries.filter((e) => wanted(e.operationId)),
    };
  }

  reset(): void {
    this.counters.clear();
    this.entries = [];
  }
}
