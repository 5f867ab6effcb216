import { status } from "@grpc/grpc-js";
import { isServiceError } from "./csi-client.js";

export interface StepResult {
  index: number;
  name: string;
  ok: boolean;
  durationMs: number;
  detail: string;
}

/** Where the demo's lines go (stdout in the CLI, an array in tests). */
export type WriteLine = (line: string) => void;

/**
 * Runs named steps one after another, printing one line per step (number, name, result,
 * duration, what happened) and remembering every result for the summary.
 */
export class ProgressReporter {
  readonly results: StepResult[] = [];

  constructor(
    private readonly total: number,
    private readonly write: WriteLine,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async step<T>(name: string, run: () => Promise<{ value: T; detail: string }>): Promise<T> {
    const index = this.results.length + 1;
    const started = this.now();
    try {
      const { value, detail } = await run();
      this.record({ index, name, ok: true, durationMs: this.now() - started, detail });
      return value;
    } catch (error) {
      this.record({ index, name, ok: false, durationMs: this.now() - started, detail: describeError(error) });
      throw new StepFailedError(name, error);
    }
  }

  private record(result: StepResult): void {
    this.results.push(result);
    this.write(formatStep(result, this.total));
  }
}

export class StepFailedError extends Error {
  override readonly name = "StepFailedError";

  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`step "${step}" failed: ${describeError(cause)}`, { cause });
  }
}

export function describeError(error: unknown): string {
  if (isServiceError(error)) return `${status[error.code] ?? error.code}: ${error.details}`;
  return error instanceof Error ? error.message : String(error);
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatStep(result: StepResult, total: number): string {
  const width = String(total).length;
  const counter = `[${String(result.index).padStart(width)}/${total}]`;
  const verdict = result.ok ? "ok    " : "FAILED";
  return `${counter} ${result.name.padEnd(18)} ${verdict} ${formatDuration(result.durationMs).padStart(8)}  ${result.detail}`;
}

export function formatBytes(bytes: bigint | number): string {
  const value = Number(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(scaled) ? scaled : scaled.toFixed(1)} ${units[unit]}`;
}
