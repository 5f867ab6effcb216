import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { chartDir, defaultValues, mergeValues, type Values } from "./chart.js";
import { ChartRenderer } from "./helm-template.js";
import { type KubeObject, parseManifests } from "./manifests.js";

const docsDir = path.resolve(chartDir, "../../../docs");
const release = { releaseName: "ballast-csi", namespace: "kube-system" };

function render(override: Values): KubeObject[] {
  const values = mergeValues(
    mergeValues(defaultValues(), {
      cloud: { url: "https://block.example.com", token: { existingSecret: "ballast-cloud-token" } },
    }),
    override,
  );
  return [...new ChartRenderer(chartDir).render(values, release).manifests.values()].flatMap(parseManifests);
}

interface Pod {
  containers: { name: string; args?: string[]; ports?: { containerPort: number }[] }[];
}

function podOf(objects: KubeObject[], kind: string): Pod {
  const workload = objects.find((o) => o.kind === kind);
  assert.ok(workload, `no ${kind}`);
  return (workload.spec as { template: { spec: Pod } }).template.spec;
}

// The paragraph of a document that starts with `start`.
function paragraph(doc: string, start: string): string {
  const text = readFileSync(path.join(docsDir, doc), "utf8");
  const found = text.split(/\n\n/).find((p) => p.startsWith(start));
  assert.ok(found, `${doc} has no paragraph starting "${start}"`);
  return found.replace(/\n/g, " ");
}

describe("the docs on what the chart sets", () => {
  test("docs/metrics.md gives the metrics address the chart sets on the controller and on the node", () => {
    const objects = render({});
    const address = (kind: string) =>
      podOf(objects, kind)
        .containers.find((c) => c.name === "ballast")
        ?.args?.find((a) => a.startsWith("--metrics-address="))
        ?.slice("--metrics-address=".length);
    const text = paragraph("metrics.md", "Set `--metrics-address`");
    assert.ok(
      text.includes(
        `\`${address("Deployment")}\` on the controller and \`${address("DaemonSet")}\` on the node plugin`,
      ),
      text,
    );
  });

  test("docs/install.md names every port a node pod in the host network takes on its host", () => {
    const ports = podOf(render({ node: { hostNetwork: true } }), "DaemonSet").containers.flatMap(
      (c) => c.ports?.map((p) => p.containerPort) ?? [],
    );
    const text = paragraph("install.md", "Ports:");
    const hostNetwork = text.indexOf("unless `node.hostNetwork` is on");
    assert.notEqual(hostNetwork, -1, text);
    assert.deepEqual(
      ports.filter((port) => !text.slice(hostNetwork).includes(String(port))),
      [],
    );
  });
});
