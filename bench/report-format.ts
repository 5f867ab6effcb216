/** Formatting shared by the report's tables. */
import type { LatencySummary } from "./harness/stats.js";
import type { ScenarioOutcome } from "./run-bench.js";

export type Row = string[];

export const MiB = 1024 * 1024;

export function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function latency(summary: LatencySummary): string {
  return `p50 ${ms(summary.p50Ms)} / p99 ${ms(summary.p99Ms)}`;
}

export function times(value: number | null): string {
  return value === null ? "n/a" : `${value.toFixed(2)}x`;
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function errors(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "0" : entries.map(([label, count]) => `${label} ${count}`).join(", ");
}

/** Pads columns to a plain-text table that also reads as Markdown. */
export function table(header: Row, rows: Row[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (row: Row) => `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}

export function section<T>(
  title: string,
  outcome: ScenarioOutcome<T> | undefined,
  body: (figures: T) => string,
): string {
  if (outcome === undefined) return "";
  if (outcome.status === "skipped") return `## ${title}\n\nskipped: ${outcome.reason}\n`;
  if (outcome.status === "failed") return `## ${title}\n\nFAILED: ${outcome.error.split("\n")[0]}\n`;
  return `## ${title} (${(outcome.durationMs / 1000).toFixed(1)} s)\n\n${body(outcome.figures)}\n`;
}
