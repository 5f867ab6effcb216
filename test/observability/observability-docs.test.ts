import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { parse } from "yaml";
import { Metrics } from "../../src/observability/metrics.js";

const DOC = new URL("../../docs/metrics.md", import.meta.url);
const RULES = new URL("../../deploy/helm/ballast-csi/files/prometheus-rules.yaml", import.meta.url);

test("docs/metrics.md has a table row for every Ballast metric with its type and labels", async () => {
  const doc = await readFile(DOC, "utf8");
  const metrics = new Metrics({ defaultMetrics: false });
  const missing: string[] = [];
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    const declared = metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] };
    const labels =
      declared.labelNames.length === 0 ? "—" : declared.labelNames.map((l) => `\`${l}\``).join(", ");
    const row = new RegExp(`^\\| \`${metric.name}\`\\s*\\| ${metric.type}\\s*\\| ${labels}\\s*\\|`, "m");
    if (!row.test(doc)) missing.push(`${metric.name} (${metric.type}; ${labels})`);
  }
  assert.deepEqual(missing, []);
});

/** The "### Process" section of the doc, up to the next heading. */
function processSection(doc: string): string {
  const match = /^### Process[^\n]*\n([\s\S]*?)^#/m.exec(doc);
  assert.ok(match, "docs/metrics.md has a ### Process section");
  return match[1] ?? "";
}

test("the Process section of docs/metrics.md lists every default process and runtime metric by its unprefixed name", async () => {
  const section = processSection(await readFile(DOC, "utf8"));
  const ballast = new Set(
    (await new Metrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((metric) => metric.name),
  );
  const defaults = (await new Metrics().registry.getMetricsAsJSON())
    .map((metric) => metric.name)
    .filter((name) => !ballast.has(name));
  assert.ok(defaults.includes("process_resident_memory_bytes"));
  assert.deepEqual(
    defaults.filter((name) => !section.includes(`\`${name}\``)),
    [],
  );
});

test("docs/metrics.md names no process or runtime metric with the ballast_ prefix", async () => {
  const doc = await readFile(DOC, "utf8");
  assert.deepEqual(doc.match(/ballast_(process|nodejs)_\w+/g), null);
});

test("docs/metrics.md has a row for every alert of the rules file", async () => {
  const doc = await readFile(DOC, "utf8");
  const { groups } = parse(await readFile(RULES, "utf8")) as { groups: { rules: { alert?: string }[] }[] };
  const alerts = groups.flatMap((group) => group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])));
  assert.deepEqual(
    alerts.filter((alert) => !new RegExp(`^\\| \`${alert}\``, "m").test(doc)),
    [],
  );
});
