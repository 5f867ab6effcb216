import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { before, describe, test } from "node:test";
import { Metrics } from "../../src/observability/metrics.js";
import { analysePromql, exportedSeries, selectorProblems, substituteGrafanaRanges } from "./promql.js";

/** Grafana's reference to the dashboard's datasource variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const DATASOURCE_VARIABLE = "${datasource}";

const DASHBOARD = new URL("../../deploy/helm/ballast-csi/files/grafana-dashboard.json", import.meta.url);

interface Target {
  expr: string;
  refId: string;
  datasource?: { uid?: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  allValue?: string;
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

let dashboard: Dashboard;
let series: Map<string, Set<string>>;

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

function queryPanels(): Panel[] {
  return allPanels(dashboard.panels).filter((panel) => panel.type !== "row");
}

describe("grafana-dashboard.json", () => {
  before(async () => {
    dashboard = JSON.parse(await readFile(DASHBOARD, "utf8")) as Dashboard;
    series = await exportedSeries();
  });

  test("has a uid, a title and a schemaVersion Grafana 10+ imports", () => {
    assert.equal(dashboard.uid, "ballast-csi");
    assert.equal(dashboard.title, "Ballast CSI driver");
    assert.equal(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36, true);
  });

  test("panel ids are unique", () => {
    const ids = allPanels(dashboard.panels).map((panel) => panel.id);
    assert.deepEqual(
      ids.filter((id, index) => ids.indexOf(id) !== index),
      [],
    );
  });

  test("panels fit the 24-column grid without overlapping", () => {
    const panels = allPanels(dashboard.panels);
    const overlaps: string[] = [];
    for (const [index, a] of panels.entries()) {
      assert.equal(a.gridPos.x + a.gridPos.w <= 24, true, `${a.title} is wider than the grid`);
      for (const b of panels.slice(index + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }
    }
    assert.deepEqual(overlaps, []);
  });

  test("declares the datasource, job, namespace and pod variables", () => {
    const variables = dashboard.templating.list.map((variable) => [variable.name, variable.type]);
    assert.deepEqual(variables, [
      ["datasource", "datasource"],
      ["job", "query"],
      ["namespace", "query"],
      ["pod", "query"],
    ]);
    assert.equal(dashboard.templating.list[0]?.query, "prometheus");
  });

  test("every query panel and target uses the datasource variable", () => {
    const wrong = queryPanels().flatMap((panel) => [
      ...(panel.datasource?.uid === DATASOURCE_VARIABLE ? [] : [`panel ${panel.title}`]),
      ...(panel.targets ?? [])
        .filter((target) => target.datasource?.uid !== DATASOURCE_VARIABLE)
        .map((target) => `${panel.title} ${target.refId}`),
    ]);
    assert.deepEqual(wrong, []);
  });

  test("every target parses as PromQL and selects series Ballast exports, with their labels", () => {
    const problems: string[] = [];
    let targets = 0;
    for (const panel of queryPanels()) {
      assert.equal((panel.targets ?? []).length > 0, true, `${panel.title} has no target`);
      for (const target of panel.targets ?? []) {
        targets += 1;
        const { errors, selectors } = analysePromql(substituteGrafanaRanges(target.expr));
        const where = `${panel.title} ${target.refId}`;
        problems.push(...errors.map((error) => `${where}: ${error}`));
        problems.push(...selectorProblems(selectors, series).map((problem) => `${where}: ${problem}`));
        if (selectors.length === 0) problems.push(`${where}: selects no series`);
      }
    }
    assert.deepEqual(problems, []);
    assert.equal(targets >= 40, true, `only ${targets} targets`);
  });

  test("every query variable's label_values selector parses and selects an exported series", () => {
    const problems: string[] = [];
    for (const variable of dashboard.templating.list.filter((candidate) => candidate.type === "query")) {
      const query = typeof variable.query === "string" ? variable.query : variable.query.query;
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      if (match === null) {
        problems.push(`${variable.name}: ${query} is not label_values(selector, label)`);
        continue;
      }
      const { errors, selectors } = analysePromql(match[1] ?? "");
      problems.push(...errors, ...selectorProblems(selectors, series));
      if (match[2] !== variable.name) problems.push(`${variable.name} lists values of ${match[2]}`);
    }
    assert.deepEqual(problems, []);
  });

  test("the variables list only Ballast's jobs, so the unprefixed process panels show no other process", () => {
    const queries = dashboard.templating.list
      .filter((variable) => variable.type === "query")
      .map((variable) => (typeof variable.query === "string" ? variable.query : variable.query.query));
    assert.deepEqual(
      queries.filter((query) => !/^label_values\(ballast_/.test(query)),
      [],
    );
    const job = dashboard.templating.list.find((variable) => variable.name === "job");
    assert.equal(job?.allValue, undefined, "a catch-all `All` would match every job in Prometheus");
  });

  test("shows every Ballast metric defined in metrics.ts", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const defined = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
    const text = queryPanels()
      .flatMap((panel) => panel.targets ?? [])
      .map((target) => target.expr)
      .join("\n");
    assert.deepEqual(
      defined.filter((name) => !text.includes(name)),
      [],
    );
  });

  test("shows the process health metrics: CPU, RSS, event-loop lag and GC", () => {
    const text = queryPanels()
      .flatMap((panel) => panel.targets ?? [])
      .map((target) => target.expr)
      .join("\n");
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_gc_duration_seconds_sum",
    ]) {
      assert.equal(text.includes(name), true, name);
    }
  });
});
