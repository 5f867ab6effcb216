import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { chartDir } from "./chart.js";
import { ChartRenderer } from "./helm-template.js";

const release = { releaseName: "r", namespace: "ns" };

function renderOne(text: string, values: Record<string, unknown> = {}, helpers = ""): string {
  const renderer = new ChartRenderer(chartDir, [
    { file: "_helpers.tpl", text: helpers },
    { file: "t.yaml", text },
  ]);
  return renderer.render(values, release).manifests.get("t.yaml") ?? "";
}

describe("chart template renderer", () => {
  test("trim markers eat the whitespace on their side only", () => {
    assert.equal(renderOne('a:\n  {{- " b" }}\n  {{ "c" -}}\n  d'), "a: b\n  cd");
  });

  test("numbers from values print as Go prints float64, int64 as integers", () => {
    const text = "{{ .Values.small }} {{ .Values.big }} {{ .Values.big | int64 }} {{ .Values.ratio }}";
    assert.equal(renderOne(text, { small: 999999, big: 1000000, ratio: 0.5 }), "999999 1e+06 1000000 0.5");
  });

  test("a missing key prints nothing, a field of a missing value is an error", () => {
    assert.equal(renderOne("[{{ .Values.absent }}]"), "[]");
    assert.throws(
      () => renderOne("{{ .Values.absent.deeper }}"),
      /nil pointer evaluating interface \{\}\.deeper/,
    );
  });

  test("a group followed by a spaced field is two operands, an attached field reads the result", () => {
    const values = { name: "n", m: { k: "v" } };
    assert.equal(renderOne('{{ printf "%s-%s" (print .Values.name) .Values.m.k }}', values), "n-v");
    assert.equal(renderOne('{{ (dict "k" "w").k }}', values), "w");
  });

  test("range over a map visits keys in order with $key, $value; else runs on empty", () => {
    const text =
      "{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}{{ range .Values.none }}x{{ else }}empty{{ end }}";
    assert.equal(renderOne(text, { m: { b: 2, a: 1 }, none: [] }), "a=1;b=2;empty");
  });

  test("include renders a define with its own dot and and/or short-circuit", () => {
    const helpers = '{{- define "greet" -}}hi {{ .who }}{{- end -}}';
    const text = '{{ include "greet" (dict "who" .Values.name) | upperless }}';
    assert.throws(() => renderOne(text, { name: "x" }, helpers), /function "upperless" not defined/);
    assert.equal(
      renderOne('{{ include "greet" (dict "who" .Values.name) }}', { name: "x" }, helpers),
      "hi x",
    );
    assert.equal(renderOne("{{ and .Values.off .Values.off.never }}", { off: false }), "false");
  });

  test("required and fail stop rendering with their message", () => {
    assert.throws(() => renderOne('{{ required "x is required" .Values.x }}'), /t\.yaml: x is required/);
    assert.throws(() => renderOne('{{ fail "no" }}'), /no/);
  });

  test("a printf verb outside the supported subset fails loudly", () => {
    assert.throws(() => renderOne('{{ printf "%d" 255 }}'), /printf verb %d is not supported here/);
  });

  test("a template action, which the chart does not use, fails loudly", () => {
    assert.throws(() => renderOne('{{ template "greet" . }}'), /function "template" not defined/);
  });
});
