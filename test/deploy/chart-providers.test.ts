import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { chartDir, defaultValues, mergeValues, readYaml, type Values } from "./chart.js";
import { ChartRenderer } from "./helm-template.js";
import { containerOf, type KubeObject, parseManifests } from "./manifests.js";

const renderer = new ChartRenderer(chartDir);
const release = { releaseName: "ballast-csi", namespace: "kube-system" };

function providerValues(file: string, override: Values = {}): Values {
  const ci = readYaml(path.join(chartDir, "ci", file)) as Values;
  return mergeValues(mergeValues(defaultValues(), ci), override);
}

function render(values: Values): KubeObject[] {
  return [...renderer.render(values, release).manifests.values()].flatMap(parseManifests);
}

function renderError(values: Values): string {
  try {
    renderer.render(values, release);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the chart rendered");
}

const kinds = (objects: KubeObject[]) => objects.map((o) => o.kind);
// The rate-limit flags of the driver in the controller and in the node plugin.
const rateLimitArgs = (objects: KubeObject[]) =>
  [
    containerOf(objects, "Deployment", "ballast-csi-controller", "ballast"),
    containerOf(objects, "DaemonSet", "ballast-csi-node", "ballast"),
  ].map((c) => c?.args?.filter((a) => /^--cloud-(qps|burst)=/.test(a)));
const tokenKey = (objects: KubeObject[]) => {
  const deployment = objects.find((o) => o.kind === "Deployment") as unknown as {
    spec: { template: { spec: { volumes: { name: string; secret?: { items: { key: string }[] } }[] } } };
  };
  return deployment.spec.template.spec.volumes.find((v) => v.name === "cloud-token")?.secret?.items[0]?.key;
};

describe("the chart per cloud provider", () => {
  test("digitalocean: its public API, the access-token key, snapshots on, classes without a tier", () => {
    const objects = render(providerValues("digitalocean-values.yaml"));
    const controller = containerOf(objects, "Deployment", "ballast-csi-controller", "ballast");
    assert.deepEqual(
      controller?.args?.filter((a) => /^--(cloud-provider|cloud-url|zone)=/.test(a)),
      ["--cloud-provider=digitalocean", "--cloud-url=https://api.digitalocean.com", "--zone=nyc1"],
    );
    const node = containerOf(objects, "DaemonSet", "ballast-csi-node", "ballast");
    assert.ok(node?.args?.includes("--cloud-provider=digitalocean"));
    assert.equal(tokenKey(objects), "access-token");
    assert.ok(containerOf(objects, "Deployment", "ballast-csi-controller", "csi-snapshotter"));
    assert.ok(kinds(objects).includes("VolumeSnapshotClass"));
    const classes = objects.filter((o) => o.kind === "StorageClass") as unknown as {
      parameters: Record<string, string>;
    }[];
    assert.deepEqual(
      classes.map((c) => c.parameters),
      [{ "csi.storage.k8s.io/fstype": "ext4" }, { "csi.storage.k8s.io/fstype": "xfs" }],
    );
  });

  test("hetzner: its public API, no snapshotter, no snapshot class, no snapshot RBAC", () => {
    const objects = render(providerValues("hetzner-values.yaml"));
    const controller = containerOf(objects, "Deployment", "ballast-csi-controller", "ballast");
    assert.ok(controller?.args?.includes("--cloud-url=https://api.hetzner.cloud/v1"));
    assert.equal(containerOf(objects, "Deployment", "ballast-csi-controller", "csi-snapshotter"), undefined);
    assert.equal(kinds(objects).includes("VolumeSnapshotClass"), false);
    assert.equal(tokenKey(objects), "token");
    const role = objects.find(
      (o) => o.kind === "ClusterRole" && o.metadata.name.endsWith("-controller"),
    ) as unknown as {
      rules: { resources: string[] }[];
    };
    assert.equal(
      role.rules.some((r) => r.resources.includes("volumesnapshotcontents/status")),
      false,
    );
  });

  test("digitalocean: no --cloud-qps or --cloud-burst, so the driver keeps DigitalOcean's own limit", () => {
    const objects = render(providerValues("digitalocean-values.yaml"));
    assert.deepEqual(rateLimitArgs(objects), [[], []]);
  });

  test("hetzner: no --cloud-qps or --cloud-burst, so the driver keeps Hetzner's own limit", () => {
    const objects = render(providerValues("hetzner-values.yaml"));
    assert.deepEqual(rateLimitArgs(objects), [[], []]);
  });

  test("cloud.qps and cloud.burst, when set, reach the controller and the node as flags", () => {
    const objects = render(providerValues("hetzner-values.yaml", { cloud: { qps: 0.5, burst: 5 } }));
    assert.deepEqual(rateLimitArgs(objects), [
      ["--cloud-qps=0.5", "--cloud-burst=5"],
      ["--cloud-qps=0.5", "--cloud-burst=5"],
    ]);
  });

  test("a tier parameter for a provider without tiers fails naming the class, the parameter and the provider", () => {
    const message = renderError(
      providerValues("digitalocean-values.yaml", {
        storageClasses: [{ name: "fast", type: "performance" }],
      }),
    );
    assert.match(
      message,
      /storageClasses fast: type cannot be honoured: provider digitalocean has no volume tiers/,
    );
  });

  test("group snapshots for a provider other than ballast fail naming it", () => {
    const message = renderError(
      providerValues("digitalocean-values.yaml", {
        sidecars: { snapshotter: { groupSnapshots: { enabled: true } } },
      }),
    );
    assert.match(
      message,
      /sidecars\.snapshotter\.groupSnapshots\.enabled: provider digitalocean takes no group snapshots/,
    );
  });

  test("an unknown provider fails naming the value and the choices", () => {
    const message = renderError(providerValues("digitalocean-values.yaml", { cloud: { provider: "aws" } }));
    assert.match(message, /cloud\.provider: aws is not a provider \(ballast, digitalocean, hetzner\)/);
  });

  test("without controller.zone the controller gets no --zone and asks the metadata service", () => {
    const objects = render(providerValues("hetzner-values.yaml"));
    const controller = containerOf(objects, "Deployment", "ballast-csi-controller", "ballast");
    assert.deepEqual(
      controller?.args?.filter((a) => a.startsWith("--zone")),
      [],
    );
  });

  test("ballast still needs its URL", () => {
    const message = renderError(mergeValues(defaultValues(), { cloud: { token: { value: "t" } } }));
    assert.match(message, /cloud\.url is required/);
  });
});
