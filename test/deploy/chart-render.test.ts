import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { chartDir, ciValueFiles, defaultValues, mergeValues, readYaml, type Values } from "./chart.js";
import { ChartRenderer, type RenderOptions } from "./helm-template.js";
import {
  containerOf,
  crossReferenceProblems,
  type KubeObject,
  parseManifests,
  schemaProblems,
} from "./manifests.js";

const renderer = new ChartRenderer(chartDir);
const release: RenderOptions = { releaseName: "ballast-csi", namespace: "kube-system" };
// Secrets the ci/ values name as existing: the operator creates them before installing.
const operatorSecrets = { secrets: { "ballast-cloud-token": ["token", "api-token"] } };
const required: Values = {
  cloud: { url: "https://block.example.com", token: { existingSecret: "ballast-cloud-token" } },
};

function ciValues(file: string): Values {
  return mergeValues(defaultValues(), readYaml(path.join(chartDir, "ci", file)) as Values);
}

function render(values: Values, options: Partial<RenderOptions> = {}): KubeObject[] {
  const { manifests } = renderer.render(values, { ...release, ...options });
  return [...manifests.values()].flatMap(parseManifests);
}

function withValues(override: Values): Values {
  return mergeValues(mergeValues(defaultValues(), required), override);
}

function named(objects: KubeObject[], kind: string, name: string): KubeObject {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(
    object,
    `no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`,
  );
  return object;
}

describe("chart rendering", () => {
  for (const file of ciValueFiles()) {
    test(`ci/${file} renders valid Kubernetes objects whose references resolve`, () => {
      const objects = render(ciValues(file));
      assert.ok(objects.length > 0);
      assert.deepEqual(objects.flatMap(schemaProblems), []);
      assert.deepEqual(crossReferenceProblems(objects, operatorSecrets), []);
    });

    test(`ci/${file} renders NOTES.txt`, () => {
      const { notes } = renderer.render(ciValues(file), release);
      assert.match(notes, /is installed as "block\.csi\.ballast\.dev" in namespace kube-system/);
    });
  }

  test("the defaults render the objects of the kustomize base", () => {
    const objects = render(withValues({ fullnameOverride: "ballast" }), { namespace: "ballast-system" });
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      "CSIDriver/block.csi.ballast.dev",
      "ClusterRole/ballast-controller",
      "ClusterRoleBinding/ballast-controller",
      "DaemonSet/ballast-node",
      "Deployment/ballast-controller",
      "PodDisruptionBudget/ballast-controller",
      "Role/ballast-controller-leader-election",
      "RoleBinding/ballast-controller-leader-election",
      "Service/ballast-controller-metrics",
      "Service/ballast-node-metrics",
      "ServiceAccount/ballast-controller",
      "ServiceAccount/ballast-node",
      "StorageClass/ballast-balanced",
      "StorageClass/ballast-performance",
      "StorageClass/ballast-standard",
      "VolumeSnapshotClass/ballast-snapshots",
    ]);
    const base = path.resolve(chartDir, "../../kustomize/base");
    const baseRole = parseManifests(readFileSync(path.join(base, "controller-rbac.yaml"), "utf8"))[0];
    assert.deepEqual(named(objects, "ClusterRole", "ballast-controller").rules, baseRole?.rules);
  });

  test("cloud.url is required", () => {
    const values = mergeValues(defaultValues(), { cloud: { token: { existingSecret: "t" } } });
    assert.throws(() => render(values), /cloud\.url is required/);
  });

  test("without the node name lookup, a node identity flag missing from node.extraArgs fails the render naming it", () => {
    const values = withValues({
      node: { nodeNameLookup: false, extraArgs: ["--node-id=$(NODE_NAME)", "--zone=zone-a"] },
    });
    assert.throws(
      () => render(values),
      /node\.extraArgs: --max-volumes-per-node is required when node\.nodeNameLookup is false/,
    );
  });

  test("the minimal values give the node plugin, which has no cloud access, its whole identity as flags", () => {
    const objects = render(ciValues("minimal-values.yaml"));
    const args = containerOf(objects, "DaemonSet", "ballast-csi-node", "ballast")?.args ?? [];
    assert.deepEqual(
      args.filter((arg) => /^--(node-id|zone|max-volumes-per-node|cloud-url|cloud-token-file)=/.test(arg)),
      ["--node-id=$(NODE_NAME)", "--zone=zone-a", "--max-volumes-per-node=16"],
    );
  });

  test("an API token is required", () => {
    const values = mergeValues(defaultValues(), { cloud: { url: "https://block.example.com" } });
    assert.throws(() => render(values), /cloud\.token\.existingSecret or cloud\.token\.value is required/);
  });

  test("a token given as a value becomes a Secret the pods mount", () => {
    const values = mergeValues(defaultValues(), {
      cloud: { url: "https://block.example.com", token: { value: "s3cret" } },
    });
    const objects = render(values);
    const secret = named(objects, "Secret", "ballast-csi-cloud-token");
    assert.deepEqual(secret.data, { token: Buffer.from("s3cret").toString("base64") });
    assert.deepEqual(crossReferenceProblems(objects), []);
  });

  test("the CSIDriver is attach-required, File fsGroupPolicy, without pod info or republish", () => {
    const driver = named(render(withValues({})), "CSIDriver", "block.csi.ballast.dev");
    assert.deepEqual(driver.spec, {
      attachRequired: true,
      podInfoOnMount: false,
      fsGroupPolicy: "File",
      requiresRepublish: false,
      volumeLifecycleModes: ["Persistent"],
    });
  });

  test("the controller runs the driver and five sidecars with leader election", () => {
    const objects = render(withValues({}));
    const deployment = named(objects, "Deployment", "ballast-csi-controller");
    const pod = (
      deployment.spec as { template: { spec: { containers: { name: string; args: string[] }[] } } }
    ).template.spec;
    assert.deepEqual(
      pod.containers.map((c) => c.name),
      ["ballast", "csi-provisioner", "csi-attacher", "csi-snapshotter", "csi-resizer", "liveness-probe"],
    );
    for (const name of ["csi-provisioner", "csi-attacher", "csi-snapshotter", "csi-resizer"]) {
      const args = pod.containers.find((c) => c.name === name)?.args ?? [];
      assert.ok(args.includes("--leader-election=true"), name);
      assert.ok(args.includes("--leader-election-namespace=kube-system"), name);
    }
    const provisioner = containerOf(objects, "Deployment", "ballast-csi-controller", "csi-provisioner");
    // No --feature-gates: Topology is GA and on by default since csi-provisioner v5, and naming a
    // gate a later release removes makes the sidecar exit at start.
    assert.deepEqual(
      provisioner?.args?.filter((a) =>
        /^--(feature-gates|default-fstype|extra-create-metadata|worker-threads)/.test(a),
      ),
      ["--worker-threads=100", "--default-fstype=ext4", "--extra-create-metadata"],
    );
  });

  test("the node plugin is privileged with Bidirectional kubelet mounts and tolerates every taint", () => {
    const objects = render(withValues({}));
    const daemonSet = named(objects, "DaemonSet", "ballast-csi-node");
    const pod = (daemonSet.spec as { template: { spec: { tolerations: unknown[] } } }).template.spec;
    assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
    const node = containerOf(objects, "DaemonSet", "ballast-csi-node", "ballast") as unknown as {
      args: string[];
      securityContext: { privileged: boolean; runAsUser: number };
      volumeMounts: { mountPath: string; mountPropagation?: string }[];
    };
    assert.equal(node.securityContext.privileged, true);
    assert.equal(node.securityContext.runAsUser, 0);
    assert.equal(
      node.volumeMounts.find((m) => m.mountPath === "/var/lib/kubelet")?.mountPropagation,
      "Bidirectional",
    );
    assert.ok(node.args.includes("--metrics-address=0.0.0.0:9809"));
    const registrar = containerOf(objects, "DaemonSet", "ballast-csi-node", "node-driver-registrar");
    const socket = registrar?.env?.find((e) => e.name === "DRIVER_REG_SOCK_PATH") as
      | { value: string }
      | undefined;
    assert.equal(socket?.value, "/var/lib/kubelet/plugins/block.csi.ballast.dev/csi.sock");
  });

  test("the node plugin reports the standard zone key by default and not when turned off", () => {
    const flagOf = (values: Values) =>
      containerOf(render(values), "DaemonSet", "ballast-csi-node", "ballast")?.args?.filter((a) =>
        a.startsWith("--report-standard-zone-key"),
      );
    assert.deepEqual(flagOf(withValues({})), ["--report-standard-zone-key=true"]);
    assert.deepEqual(flagOf(withValues({ node: { reportStandardZoneKey: false } })), [
      "--report-standard-zone-key=false",
    ]);
  });

  test("without node-name lookup the node plugin gets neither the API URL nor the token", () => {
    const objects = render(
      withValues({
        node: {
          nodeNameLookup: false,
          extraArgs: ["--node-id=$(NODE_NAME)", "--zone=zone-a", "--max-volumes-per-node=16"],
        },
      }),
    );
    const node = containerOf(objects, "DaemonSet", "ballast-csi-node", "ballast");
    assert.deepEqual(
      node?.args?.filter((a) => a.startsWith("--cloud-")),
      ["--cloud-provider=ballast"],
    );
    assert.equal(
      node?.volumeMounts?.some((m) => m.name === "cloud-token"),
      false,
    );
  });

  test("StorageClasses carry tier, fsType, IOPS, throughput, encryption and topology as strings", () => {
    const objects = render(ciValues("full-values.yaml"));
    const balanced = named(objects, "StorageClass", "ballast-balanced-encrypted");
    assert.deepEqual(balanced.parameters, {
      type: "balanced",
      "csi.storage.k8s.io/fstype": "ext4",
      iops: "6000",
      throughput: "250",
      encrypted: "true",
      kmsKeyId: "kms-key-0123",
    });
    assert.equal(balanced.reclaimPolicy, "Retain");
    assert.deepEqual(balanced.allowedTopologies, [
      {
        matchLabelExpressions: [{ key: "topology.block.csi.ballast.dev/zone", values: ["zone-a", "zone-b"] }],
      },
    ]);
    const performance = named(objects, "StorageClass", "ballast-performance-xfs");
    assert.equal((performance.parameters as Record<string, string>).iops, "1000000");
    assert.equal(performance.allowVolumeExpansion, false);
    assert.equal(performance.volumeBindingMode, "Immediate");
    const standard = named(objects, "StorageClass", "ballast-standard");
    assert.equal(
      (standard.parameters as Record<string, string>).tagSpecification_1,
      "pvc={{ .PVCNamespace }}/{{ .PVCName }}",
    );
    assert.equal(standard.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"], "true");
  });

  test("VolumeAttributesClasses use storage.k8s.io/v1 from Kubernetes 1.34 and v1beta1 before", () => {
    const values = withValues({
      volumeAttributesClasses: [{ name: "fast", type: "performance", iops: 16000 }],
    });
    const current = named(render(values, { kubeVersion: "v1.34.1" }), "VolumeAttributesClass", "fast");
    assert.equal(current.apiVersion, "storage.k8s.io/v1");
    assert.deepEqual(current.parameters, { type: "performance", iops: "16000" });
    assert.equal(current.driverName, "block.csi.ballast.dev");
    const older = named(render(values, { kubeVersion: "v1.33.4" }), "VolumeAttributesClass", "fast");
    assert.equal(older.apiVersion, "storage.k8s.io/v1beta1");
    const served = render(values, {
      kubeVersion: "v1.33.4",
      apiVersions: ["storage.k8s.io/v1/VolumeAttributesClass"],
    });
    assert.equal(named(served, "VolumeAttributesClass", "fast").apiVersion, "storage.k8s.io/v1");
  });

  test("the dashboard ConfigMap carries the chart's dashboard and the sidecar label", () => {
    const objects = render(withValues({ metrics: { dashboard: { enabled: true } } }));
    const configMap = named(objects, "ConfigMap", "ballast-csi-dashboard");
    assert.equal(configMap.metadata.labels?.grafana_dashboard, "1");
    const dashboard = readFileSync(path.join(chartDir, "files/grafana-dashboard.json"), "utf8");
    assert.deepEqual(
      JSON.parse((configMap.data as Record<string, string>)["ballast-csi.json"] ?? ""),
      JSON.parse(dashboard),
    );
  });

  test("the PrometheusRule carries the chart's alert groups", () => {
    const objects = render(withValues({ metrics: { prometheusRule: { enabled: true } } }));
    const rule = named(objects, "PrometheusRule", "ballast-csi");
    const file = parse(readFileSync(path.join(chartDir, "files/prometheus-rules.yaml"), "utf8")) as {
      groups: unknown;
    };
    assert.deepEqual((rule.spec as { groups: unknown }).groups, file.groups);
  });

  test("runbookBaseUrl makes every alert's runbook_url absolute, and changes nothing else", () => {
    const base = "https://github.com/example/ballast/blob/main/";
    const objects = render(
      withValues({ metrics: { prometheusRule: { enabled: true, runbookBaseUrl: base } } }),
    );
    type Groups = { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
    const groups = (named(objects, "PrometheusRule", "ballast-csi").spec as { groups: Groups }).groups;
    const file = parse(readFileSync(path.join(chartDir, "files/prometheus-rules.yaml"), "utf8")) as {
      groups: Groups;
    };
    const alerts = file.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
    assert.ok(alerts.length > 0);
    assert.deepEqual(
      groups.flatMap((g) => g.rules).map((r) => r.annotations?.runbook_url),
      file.groups
        .flatMap((g) => g.rules)
        .map((r) => r.annotations?.runbook_url && `${base}${r.annotations.runbook_url}`),
    );
    const withoutUrls = (gs: Groups) =>
      gs.map((g) => ({
        ...g,
        rules: g.rules.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: "" } })),
      }));
    assert.deepEqual(withoutUrls(groups), withoutUrls(file.groups));
  });

  test("a ServiceMonitor and a PodMonitor together are refused", () => {
    const values = withValues({
      metrics: { serviceMonitor: { enabled: true }, podMonitor: { enabled: true } },
    });
    assert.throws(() => render(values), /enable one of metrics\.serviceMonitor and metrics\.podMonitor/);
  });

  test("the ServiceMonitor selects both metrics Services by their port name", () => {
    const objects = render(withValues({ metrics: { serviceMonitor: { enabled: true } } }));
    const monitor = named(objects, "ServiceMonitor", "ballast-csi");
    const spec = monitor.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string }[];
    };
    const selected = objects.filter(
      (o) =>
        o.kind === "Service" &&
        Object.entries(spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
    );
    assert.deepEqual(selected.map((s) => s.metadata.name).sort(), [
      "ballast-csi-controller-metrics",
      "ballast-csi-node-metrics",
    ]);
    assert.deepEqual(
      spec.endpoints.map((e) => e.port),
      ["metrics"],
    );
  });

  test("an unreachable cloud makes the controller not ready but never restarts it", () => {
    const objects = render(withValues({}));
    const driver = containerOf(objects, "Deployment", "ballast-csi-controller", "ballast") as unknown as {
      ports: { name: string; containerPort: number }[];
      livenessProbe: { httpGet: { path: string; port: string } };
      readinessProbe: { httpGet: { path: string; port: string } };
    };
    const sidecar = containerOf(objects, "Deployment", "ballast-csi-controller", "liveness-probe");
    // The driver's own /healthz answers while the process lives; CSI Probe (ready=false while
    // the API does not answer) reaches the kubelet only through the sidecar, as readiness.
    assert.deepEqual(driver.livenessProbe.httpGet, { path: "/healthz", port: "metrics" });
    assert.deepEqual(driver.readinessProbe.httpGet, { path: "/healthz", port: "healthz" });
    const healthz = driver.ports.find((p) => p.name === "healthz")?.containerPort;
    assert.ok(sidecar?.args?.includes(`--http-endpoint=:${healthz}`));
  });

  test("the controller PodDisruptionBudget lets a drain evict a controller that is not ready", () => {
    const budget = named(render(withValues({})), "PodDisruptionBudget", "ballast-csi-controller");
    assert.deepEqual(budget.spec, {
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: "AlwaysAllow",
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "ballast-csi",
          "app.kubernetes.io/instance": "ballast-csi",
          "app.kubernetes.io/component": "controller",
        },
      },
    });
  });

  test("the minimal values drop the snapshotter and every optional object", () => {
    const objects = render(ciValues("minimal-values.yaml"));
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ["StorageClass", "VolumeSnapshotClass", "PodDisruptionBudget", "Service"]) {
      assert.equal(kinds.has(kind), false, kind);
    }
    assert.equal(containerOf(objects, "Deployment", "ballast-csi-controller", "csi-snapshotter"), undefined);
    const role = named(objects, "ClusterRole", "ballast-csi-controller");
    const snapshotRules = (role.rules as { resources: string[]; verbs: string[] }[]).filter((r) =>
      r.resources.includes("volumesnapshotcontents"),
    );
    assert.deepEqual(snapshotRules, [
      {
        apiGroups: ["snapshot.storage.k8s.io"],
        resources: ["volumesnapshotcontents"],
        verbs: ["get", "list"],
      },
    ]);
  });

  test("no role grants access to Secrets", () => {
    const objects = render(ciValues("full-values.yaml"));
    const roles = objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role");
    const secretRules = roles.flatMap((r) =>
      (r.rules as { resources: string[] }[]).filter((rule) => rule.resources.includes("secrets")),
    );
    assert.deepEqual(secretRules, []);
  });
});
