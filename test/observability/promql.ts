import { parser } from "@prometheus-io/lezer-promql";
import { Metrics } from "../../src/observability/metrics.js";

export interface Selector {
  metric: string;
  labels: string[];
}

export interface PromqlAnalysis {
  /** One entry per error node the official Prometheus grammar produced, with where it is. */
  errors: string[];
  /** Every vector selector: its metric name and the label names it matches on. */
  selectors: Selector[];
}

/** Parses with the Prometheus project's own lezer grammar (the one Prometheus's UI uses). */
export function analysePromql(expr: string): PromqlAnalysis {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) {
        errors.push(`error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.to + 20)}…`);
      }
      if (node.name === "VectorSelector") {
        const identifier = node.node.getChild("Identifier");
        const labels: string[] = [];
        node.node
          .getChild("LabelMatchers")
          ?.cursor()
          .iterate((child) => {
            if (child.name === "LabelName") labels.push(expr.slice(child.from, child.to));
          });
        selectors.push({ metric: identifier ? expr.slice(identifier.from, identifier.to) : "", labels });
      }
    },
  });
  return { errors, selectors };
}

/** Grafana's range variables become a concrete duration, as Grafana does before querying. */
export function substituteGrafanaRanges(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, "5m");
}

/** Labels Prometheus adds to every scraped series (target labels in the chart's monitors). */
export const TARGET_LABELS = ["job", "namespace", "pod", "instance", "container", "service", "endpoint"];

/** Series every Prometheus has without Ballast exporting them. */
export const STANDARD_SERIES = new Map([["up", new Set(TARGET_LABELS)]]);

/**
 * Every series name a Ballast process exports (histograms as `_bucket`, `_sum`, `_count`), with
 * the label names each may carry, from a fresh `Metrics` with default process metrics.
 */
export async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const metrics = new Metrics();
  const series = new Map<string, Set<string>>(STANDARD_SERIES);
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    const declared = metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] };
    const labels = new Set([...(declared.labelNames ?? []), ...TARGET_LABELS]);
    if (String(metric.type) === "histogram") {
      series.set(`${metric.name}_bucket`, new Set([...labels, "le"]));
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else {
      series.set(metric.name, labels);
    }
  }
  return series;
}

/** Problems with the selectors of an expression: unknown series, or labels the series lacks. */
export function selectorProblems(selectors: Selector[], series: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const { metric, labels } of selectors) {
    const known = series.get(metric);
    if (known === undefined) {
      problems.push(`unknown series ${JSON.stringify(metric)}`);
      continue;
    }
    for (const label of labels) {
      if (!known.has(label)) problems.push(`${metric} has no label ${JSON.stringify(label)}`);
    }
  }
  return problems;
}
