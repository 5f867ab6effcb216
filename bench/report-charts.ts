import { lineChart, type Series } from "./charts.js";
import { QUANTILES } from "./harness/stats.js";
import type { BenchReport } from "./run-bench.js";

const MiB = 1024 * 1024;

export interface Chart {
  /** File name, written next to the JSON result. */
  name: string;
  svg: string;
}

function distribution(label: string, quantilesMs: number[]): Series {
  return { label, points: QUANTILES.map((fraction, index) => [fraction * 100, quantilesMs[index] ?? 0]) };
}

/** The charts of the figures a reader compares most, for every scenario that ran. */
export function reportCharts(report: BenchReport): Chart[] {
  const charts: Chart[] = [];
  const { floor, latency, memory } = report.scenarios;
  if (floor?.status === "ok") {
    const { sides, rssSeries, concurrency } = floor.figures;
    charts.push({
      name: "floor-latency.svg",
      svg: lineChart({
        title: `NodeGetCapabilities x${concurrency}: latency distribution`,
        xLabel: "percentile",
        yLabel: "latency (ms)",
        series: sides.map((side) => distribution(side.label, side.quantilesMs)),
      }),
    });
    charts.push({
      name: "floor-memory.svg",
      svg: lineChart({
        title: "RSS through the alternating rounds",
        xLabel: "seconds",
        yLabel: "RSS (MiB)",
        series: rssSeries.map((series) => ({
          label: series.label,
          points: series.points.map(([ms, bytes]) => [ms / 1000, bytes / MiB]),
        })),
      }),
    });
  }
  if (latency?.status === "ok") {
    for (const rpc of latency.figures.rpcs) {
      charts.push({
        name: `latency-${rpc.rpc}.svg`,
        svg: lineChart({
          title: `${rpc.rpc}, one at a time: driver vs direct`,
          xLabel: "percentile",
          yLabel: "latency (ms)",
          series: [
            distribution(`direct (${rpc.directCall})`, rpc.quantilesMs.direct),
            distribution("through the driver", rpc.quantilesMs.driver),
          ],
        }),
      });
    }
  }
  if (memory?.status === "ok") {
    const { series } = memory.figures.peak;
    charts.push({
      name: "storm-memory.svg",
      svg: lineChart({
        title: "Driver memory over the provisioning storm",
        xLabel: "seconds",
        yLabel: "MiB",
        series: [
          { label: "RSS", points: series.map(([ms, rss]) => [ms / 1000, rss / MiB]) },
          { label: "heap used", points: series.map(([ms, , heap]) => [ms / 1000, heap / MiB]) },
        ],
      }),
    });
  }
  return charts;
}
