import { DEFAULT_OPTIONS } from "../../bench/options.js";
import type { BenchReport } from "../../bench/run-bench.js";

/**
 * A report of a 2-core test machine with the default options (`options` overrides some), for the
 * printed-table tests.
 */
export function benchReport(
  parts: { options?: Partial<BenchReport["options"]> } & Partial<Pick<BenchReport, "scenarios" | "faces">>,
): BenchReport {
  const { keep: _keep, ...defaults } = DEFAULT_OPTIONS;
  return {
    startedAt: "2026-12-06T06:00:00.000Z",
    durationMs: 1000,
    machine: {
      cpus: 2,
      cpuModel: "test",
      memoryTotalBytes: 1024 ** 3,
      memoryFreeBytes: 512 * 1024 ** 2,
      loadAverage: [1, 1, 1],
      kernel: "6.18",
      node: "v20",
    },
    options: { ...defaults, ...parts.options },
    workDir: "/tmp/w",
    scenarios: parts.scenarios ?? {},
    faces: parts.faces ?? {},
  };
}
