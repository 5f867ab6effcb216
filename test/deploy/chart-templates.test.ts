import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { chartDir, defaultValues, readYaml, templates, type Values, valuePaths } from "./chart.js";
import { parseManifests } from "./manifests.js";

const repoRoot = path.resolve(chartDir, "../../..");

interface Action {
  file: string;
  body: string;
}

/** The `{{ ... }}` actions of a template, without trim markers; comments are dropped. */
function actions(file: string, text: string): Action[] {
  const found: Action[] = [];
  for (const match of text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)) {
    const body = match[1] ?? "";
    if (!body.startsWith("/*")) found.push({ file, body });
  }
  return found;
}

function allActions(): Action[] {
  return templates().flatMap(({ file, text }) => actions(file, text));
}

/** Problems with the nesting of if/with/range/define ... else ... end in one template. */
function blockProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  for (const { body } of actions(file, text)) {
    const keyword = body.split(/\s+/)[0];
    if (
      keyword === "if" ||
      keyword === "with" ||
      keyword === "range" ||
      keyword === "define" ||
      keyword === "block"
    ) {
      stack.push(keyword);
    } else if (keyword === "else") {
      const open = stack.at(-1);
      if (open !== "if" && open !== "with" && open !== "range")
        problems.push(`${file}: else outside if/with/range`);
    } else if (keyword === "end") {
      if (stack.pop() === undefined) problems.push(`${file}: end without a block`);
    }
  }
  if (stack.length > 0) problems.push(`${file}: unclosed ${stack.join(", ")}`);
  return problems;
}

/** The names of the `- --flag` items of container args in manifest or template text. */
function flagsOf(text: string): Set<string> {
  return new Set([...text.matchAll(/^\s*- (--[a-z-]+)/gm)].map((m) => m[1] ?? ""));
}

interface JsonPatchOperation {
  op: string;
  value?: unknown;
}

/**
 * The names of the flags the kustomize components add: the string values of their inline JSON
 * patches that are flags, and the `- --flag` items of their patch files.
 */
function componentFlags(): string[] {
  const componentsDir = path.join(repoRoot, "deploy/kustomize/components");
  if (!existsSync(componentsDir)) return [];
  return readdirSync(componentsDir).flatMap((component) => {
    const dir = path.join(componentsDir, component);
    const kustomization = parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as {
      patches?: { patch?: string; path?: string }[];
    };
    return (kustomization.patches ?? []).flatMap(({ patch, path: file }) => {
      if (file !== undefined) return [...flagsOf(readFileSync(path.join(dir, file), "utf8"))];
      const operations = (parse(patch ?? "") ?? []) as JsonPatchOperation[] | Record<string, unknown>;
      if (!Array.isArray(operations)) return [...flagsOf(patch ?? "")];
      return operations
        .map(({ op, value }) => (op === "add" || op === "replace" ? value : undefined))
        .filter((value): value is string => typeof value === "string" && value.startsWith("--"))
        .map((value) => value.split("=")[0] ?? value);
    });
  });
}

function hasPath(values: Values, keys: string[]): boolean {
  let current: unknown = values;
  for (const key of keys) {
    if (typeof current !== "object" || current === null || !(key in current)) return false;
    current = (current as Values)[key];
  }
  return true;
}

describe("chart templates", () => {
  test("Chart.yaml names the chart and carries the driver's version", () => {
    const chart = readYaml(path.join(chartDir, "Chart.yaml")) as Record<string, string>;
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
    assert.equal(chart.apiVersion, "v2");
    assert.equal(chart.name, path.basename(chartDir));
    assert.match(chart.version ?? "", /^\d+\.\d+\.\d+$/);
    assert.equal(chart.appVersion, pkg.version);
  });

  test("every action is closed and every block is balanced", () => {
    const problems = templates().flatMap(({ file, text }) => {
      const opens = text.split("{{").length - 1;
      const closes = text.split("}}").length - 1;
      const unbalanced = opens === closes ? [] : [`${file}: ${opens} '{{' but ${closes} '}}'`];
      return [...unbalanced, ...blockProblems(file, text)];
    });
    assert.deepEqual(problems, []);
  });

  test("every include names a defined template", () => {
    const defined = new Set(
      allActions().flatMap(({ body }) => [...body.matchAll(/^define\s+"([^"]+)"/g)].map((m) => m[1])),
    );
    const missing = allActions().flatMap(({ file, body }) =>
      [...body.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)]
        .map((m) => m[1] ?? "")
        .filter((name) => !defined.has(name))
        .map((name) => `${file}: ${name}`),
    );
    assert.deepEqual(missing, []);
  });

  test("every .Values reference exists in values.yaml", () => {
    const values = defaultValues();
    const missing = allActions().flatMap(({ file, body }) =>
      [...body.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)]
        .map((m) => (m[1] ?? "").slice(1))
        .filter((ref) => !hasPath(values, ref.split(".")))
        .map((ref) => `${file}: .Values.${ref}`),
    );
    assert.deepEqual(missing, []);
  });

  test("every value of values.yaml is read by a template", () => {
    const source = allActions()
      .map((a) => a.body)
      .join("\n");
    // A value is read by its path or a parent's (a block handed to toYaml whole), or, inside
    // `with`/`range`/a helper, by its last key.
    const unread = valuePaths(defaultValues()).filter((p) => {
      const keys = p.replaceAll("[]", "").split(".");
      const byPath = keys.some((_, i) =>
        new RegExp(`\\.Values\\.${keys.slice(0, i + 1).join("\\.")}(?![A-Za-z0-9_.])`).test(source),
      );
      return !byPath && !new RegExp(`\\.${keys.at(-1)}\\b`).test(source);
    });
    assert.deepEqual(unread, []);
  });

  test("the driver and sidecar flags match the kustomize base and components, which mirror the chart's values", () => {
    const chartText = templates()
      .filter(({ file }) => /^(controller|node)\/|_helpers/.test(file))
      .map(({ text }) => text)
      .join("\n");
    const baseDir = path.join(repoRoot, "deploy/kustomize/base");
    const baseText = ["controller-deployment.yaml", "node-daemonset.yaml"]
      .map((f) => readFileSync(path.join(baseDir, f), "utf8"))
      .join("\n");
    // Flags the chart adds only for non-default values that no kustomize component mirrors.
    const optional = new Set([
      "--strict-topology",
      "--cloud-ca-file",
      "--zone",
      "--cloud-qps",
      "--cloud-burst",
    ]);
    const chartFlags = [...flagsOf(chartText)].filter((f) => !optional.has(f)).sort();
    const kustomizeFlags = new Set([...flagsOf(baseText), ...componentFlags()]);
    assert.deepEqual(chartFlags, [...kustomizeFlags].sort());
  });

  test("the sidecar images of values.yaml are the ones of the kustomize base", () => {
    const sidecars = defaultValues().sidecars as Record<
      string,
      { image: { repository: string; tag: string } }
    >;
    const chartImages = Object.values(sidecars)
      .map(({ image }) => `${image.repository}:${image.tag}`)
      .sort();
    const baseDir = path.join(repoRoot, "deploy/kustomize/base");
    const baseImages = ["controller-deployment.yaml", "node-daemonset.yaml"]
      .flatMap((f) => [
        ...readFileSync(path.join(baseDir, f), "utf8").matchAll(/image: (registry\.k8s\.io\/\S+)/g),
      ])
      .map((m) => m[1]);
    assert.deepEqual([...new Set(baseImages)].sort(), chartImages);
  });

  test("the Grafana dashboard the chart ships is a dashboard", () => {
    const file = path.join(chartDir, "files/grafana-dashboard.json");
    assert.ok(existsSync(file), `the chart ships no ${file}`);
    const dashboard = JSON.parse(readFileSync(file, "utf8")) as { title?: string; panels?: unknown[] };
    assert.equal(typeof dashboard.title, "string");
    assert.ok((dashboard.panels ?? []).length > 0, "the dashboard has no panels");
  });

  test("the alert rules the chart ships are Prometheus rule groups", () => {
    const file = path.join(chartDir, "files/prometheus-rules.yaml");
    assert.ok(existsSync(file), `the chart ships no ${file}`);
    const rules = parse(readFileSync(file, "utf8")) as {
      groups?: { name: string; rules: { expr: string }[] }[];
    };
    assert.ok((rules.groups ?? []).length > 0, "the rule file has no groups");
    for (const group of rules.groups ?? []) {
      assert.equal(typeof group.name, "string");
      assert.ok(
        group.rules.every((r) => typeof r.expr === "string" && r.expr.length > 0),
        `group ${group.name}`,
      );
    }
  });

  test("the YAML outside the templates parses", () => {
    const files = [
      "Chart.yaml",
      "values.yaml",
      ...["default", "full", "minimal", "podmonitor"].map((n) => `ci/${n}-values.yaml`),
    ];
    for (const file of files) {
      assert.doesNotThrow(() => parseManifests(readFileSync(path.join(chartDir, file), "utf8")), file);
    }
  });
});
