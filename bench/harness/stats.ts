/** Latency figures of one series of samples, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

/** Nearest-rank percentile of an ascending array; 0 for no samples. */
function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

function rounded(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50Ms: rounded(percentile(sorted, 0.5)),
    p99Ms: rounded(percentile(sorted, 0.99)),
    meanMs: rounded(sorted.length === 0 ? 0 : total / sorted.length),
    maxMs: rounded(sorted.at(-1) ?? 0),
  };
}

/** `numerator / denominator` to three decimals; null when the denominator is 0. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : rounded(numerator / denominator);
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return rounded(value);
}

/** Milliseconds since `startedNs` (a `process.hrtime.bigint()` reading). */
export function elapsedMs(startedNs: bigint): number {
  return Number(process.hrtime.bigint() - startedNs) / 1e6;
}

/** Counts of failures by a label (a gRPC code name, an error kind). */
export type ErrorCounts = Record<string, number>;

export function countError(errors: ErrorCounts, label: string): void {
  errors[label] = (errors[label] ?? 0) + 1;
}

export function totalErrors(errors: ErrorCounts): number {
  return Object.values(errors).reduce((sum, count) => sum + count, 0);
}

/** Latency quantiles at 1%, 2%, …, 99%, then 99.9%: the distributions the charts draw. */
export const QUANTILES = [...Array.from({ length: 99 }, (_, index) => (index + 1) / 100), 0.999];

/** Nearest-rank value of every one of QUANTILES, in ms to the µs; zeros for no samples. */
export function quantiles(samplesMs: readonly number[]): number[] {
  const sorted = Array.from(Float64Array.from(samplesMs).sort());
  return QUANTILES.map((fraction) => rounded(percentile(sorted, fraction)));
}
