import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { before, describe, test } from "node:test";
import { parse } from "yaml";
import { analysePromql, exportedSeries, selectorProblems } from "./promql.js";

const RULES = new URL("../../deploy/helm/ballast-csi/files/prometheus-rules.yaml", import.meta.url);
const RUNBOOK = new URL("../../docs/runbook.md", import.meta.url);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

let rules: Rule[];
let groups: { name: string; rules: Rule[] }[];
let runbook: string;

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}

describe("prometheus-rules.yaml", () => {
  before(async () => {
    const document = parse(await readFile(RULES, "utf8")) as { groups: { name: string; rules: Rule[] }[] };
    groups = document.groups;
    rules = groups.flatMap((group) => group.rules);
    runbook = await readFile(RUNBOOK, "utf8");
  });

  test("is a groups: list whose group names are unique", () => {
    assert.equal(Array.isArray(groups) && groups.length > 0, true);
    const names = groups.map((group) => group.name);
    assert.deepEqual(names, [...new Set(names)]);
  });

  test("has the alerts the SREs asked for, each once", () => {
    const alerts = rules.flatMap((rule) => (rule.alert === undefined ? [] : [rule.alert]));
    assert.deepEqual(alerts.sort(), [
      "BallastCloudServerErrors",
      "BallastCloudThrottling",
      "BallastCsiHighErrorRatio",
      "BallastDriverDown",
      "BallastInventoryStale",
      "BallastNodeMountFailures",
      "BallastSlowAttaches",
      "BallastStuckOperation",
    ]);
  });

  test("every expression parses as PromQL", () => {
    const problems = rules.flatMap((rule) =>
      analysePromql(rule.expr).errors.map((error) => `${rule.alert ?? rule.record}: ${error}`),
    );
    assert.deepEqual(problems, []);
  });

  test("every expression selects series Ballast exports (or up), with labels they carry", async () => {
    const series = await exportedSeries();
    const problems = rules.flatMap((rule) => {
      const { selectors } = analysePromql(rule.expr);
      const found = selectorProblems(selectors, series).map((problem) => `${rule.alert}: ${problem}`);
      return selectors.length === 0 ? [...found, `${rule.alert}: selects no series`] : found;
    });
    assert.deepEqual(problems, []);
  });

  test("BallastInventoryStale fires on failed refreshes without success, a series nodes do not export", () => {
    const rule = rules.find((candidate) => candidate.alert === "BallastInventoryStale");
    const { selectors } = analysePromql(rule?.expr ?? "");

    assert.deepEqual(selectors, [
      { metric: "ballast_inventory_refreshes_total", labels: ["result"] },
      { metric: "ballast_inventory_refreshes_total", labels: ["result"] },
    ]);
    assert.match(
      rule?.expr ?? "",
      /result="failure".*\n\s*unless on \(namespace, job, pod\)\n.*result="success"/,
    );
  });

  test("every alert has a severity, a for duration, a summary and a description", () => {
    const problems: string[] = [];
    for (const rule of rules.filter((candidate) => candidate.alert !== undefined)) {
      if (!["critical", "warning", "info"].includes(rule.labels?.severity ?? "")) {
        problems.push(`${rule.alert}: severity ${rule.labels?.severity}`);
      }
      if (!/^\d+[smh]$/.test(rule.for ?? "")) problems.push(`${rule.alert}: for ${rule.for}`);
      if (!rule.annotations?.summary) problems.push(`${rule.alert}: no summary`);
      if (!rule.annotations?.description) problems.push(`${rule.alert}: no description`);
    }
    assert.deepEqual(problems, []);
  });

  test("every runbook_url points at a section of docs/runbook.md named after the alert", () => {
    const anchors = new Set(
      runbook
        .split("\n")
        .filter((line) => /^#{1,6} /.test(line))
        .map((line) => anchorOf(line.replace(/^#+ /, ""))),
    );
    const problems: string[] = [];
    for (const rule of rules.filter((candidate) => candidate.alert !== undefined)) {
      const url = rule.annotations?.runbook_url ?? "";
      const expected = `docs/runbook.md#${anchorOf(rule.alert ?? "")}`;
      if (url !== expected) problems.push(`${rule.alert}: runbook_url ${url}, expected ${expected}`);
      if (!anchors.has(anchorOf(rule.alert ?? ""))) problems.push(`${rule.alert}: no runbook section`);
    }
    assert.deepEqual(problems, []);
  });

  test("every runbook section covers meaning, impact, diagnosis and mitigation", () => {
    const sections = runbook.split(/^## /m).slice(1);
    const problems: string[] = [];
    for (const section of sections) {
      const title = section.split("\n")[0];
      for (const part of [
        "**Meaning.**",
        "**Impact.**",
        "**Diagnosis.**",
        "**Mitigation.**",
        "```promql",
        "```sh",
      ]) {
        if (!section.includes(part)) problems.push(`${title}: no ${part}`);
      }
    }
    assert.equal(sections.length, 8);
    assert.deepEqual(problems, []);
  });

  test("every PromQL block in the runbook parses and selects exported series", async () => {
    const series = await exportedSeries();
    const blocks = [...runbook.matchAll(/```promql\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
    const problems = blocks.flatMap((block) =>
      block
        .split("\n")
        .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
        .flatMap((line) => {
          const { errors, selectors } = analysePromql(line);
          return [...errors, ...selectorProblems(selectors, series)].map((problem) => `${line}: ${problem}`);
        }),
    );
    assert.equal(blocks.length >= 8, true);
    assert.deepEqual(problems, []);
  });
});
