import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { chartDir, defaultValues, mergeValues } from "./chart.js";
import { ChartRenderer } from "./helm-template.js";
import { type KubeObject, parseManifests } from "./manifests.js";

const baseDir = path.resolve(chartDir, "../../kustomize/base");
const cloudUrl = "https://block-storage.example.com";

function chartObjects(): KubeObject[] {
  const values = mergeValues(defaultValues(), {
    fullnameOverride: "ballast",
    cloud: { url: cloudUrl, token: { existingSecret: "ballast-cloud-token" } },
  });
  const { manifests } = new ChartRenderer(chartDir).render(values, {
    releaseName: "ballast",
    namespace: "ballast-system",
  });
  return [...manifests.values()].flatMap(parseManifests);
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: { name: string; args?: string[]; env?: unknown[] }[] };
}

/*
 * The chart's workload as the base writes it: no Helm bookkeeping labels or checksum annotations,
 * and the API URL from the ballast-cloud ConfigMap an overlay sets instead of a literal.
 */
function asBaseWritesIt(object: KubeObject): unknown {
  const spec = structuredClone(object.spec) as { template: PodTemplate };
  const { metadata, spec: pod } = spec.template;
  delete metadata.labels["helm.sh/chart"];
  delete metadata.labels["app.kubernetes.io/managed-by"];
  delete metadata.annotations;
  for (const container of pod.containers) {
    if (!container.args?.includes(`--cloud-url=${cloudUrl}`)) continue;
    container.args = container.args.map((a) =>
      a === `--cloud-url=${cloudUrl}` ? "--cloud-url=$(BALLAST_CLOUD_URL)" : a,
    );
    container.env = [
      ...(container.env ?? []),
      { name: "BALLAST_CLOUD_URL", valueFrom: { configMapKeyRef: { name: "ballast-cloud", key: "url" } } },
    ];
  }
  return spec;
}

describe("kustomize base parity", () => {
  const workloads = [
    ["controller-deployment.yaml", "Deployment", "ballast-controller"],
    ["node-daemonset.yaml", "DaemonSet", "ballast-node"],
    ["controller-poddisruptionbudget.yaml", "PodDisruptionBudget", "ballast-controller"],
  ] as const;
  for (const [file, kind, name] of workloads) {
    test(`${file} is the chart's default ${kind} but for Helm bookkeeping and the API URL`, () => {
      const [base] = parseManifests(readFileSync(path.join(baseDir, file), "utf8"));
      const chart = chartObjects().find((o) => o.kind === kind && o.metadata.name === name);
      assert.ok(base && chart, `${kind} ${name} missing`);
      const expected = kind === "PodDisruptionBudget" ? chart.spec : asBaseWritesIt(chart);
      assert.deepEqual(base.spec, expected);
    });
  }
});
