import assert from "node:assert/strict";
import path from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import {
  containerOf,
  crossReferenceProblems,
  type KubeObject,
  kubectlUnavailableReason,
  renderKustomization,
  schemaProblems,
} from "./manifests.js";

const kustomizeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../deploy/kustomize");
// base and production expect the operator to create the API token Secret (docs/install.md).
const operatorSecret = { secrets: { "ballast-cloud-token": ["token"] } };

let unavailable: string | undefined;
before(async () => {
  unavailable = await kubectlUnavailableReason();
  if (unavailable !== undefined && process.env.CI === "true") {
    throw new Error(`CI must render the kustomize tree: ${unavailable}`);
  }
});

async function render(t: { skip(message: string): void }, name: string): Promise<KubeObject[] | undefined> {
  if (unavailable !== undefined) {
    t.skip(unavailable);
    return undefined;
  }
  return renderKustomization(path.join(kustomizeDir, name));
}

// Generated ConfigMaps and Secrets carry a content hash suffix; compare them by their base name.
function objectNamed(objects: KubeObject[], kind: string, name: (n: string) => boolean): KubeObject {
  const object = objects.find((o) => o.kind === kind && name(o.metadata.name));
  assert.ok(object, `no ${kind} of that name`);
  return object;
}

function kinds(objects: KubeObject[]): string[] {
  return objects
    .map((o) => {
      const generated = o.kind === "ConfigMap" || o.kind === "Secret";
      return `${o.kind}/${generated ? o.metadata.name.replace(/-[a-z0-9]{10}$/, "") : o.metadata.name}`;
    })
    .sort();
}

const baseKinds = [
  "CSIDriver/block.csi.ballast.dev",
  "ClusterRole/ballast-controller",
  "ClusterRoleBinding/ballast-controller",
  "ConfigMap/ballast-cloud",
  "DaemonSet/ballast-node",
  "Deployment/ballast-controller",
  "Namespace/ballast-system",
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
];

describe("kustomize base", () => {
  test("renders the chart's default objects", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    assert.deepEqual(kinds(objects), baseKinds);
  });

  test("every object is a valid Kubernetes object", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    assert.deepEqual(objects.flatMap(schemaProblems), []);
  });

  test("every reference resolves, given the operator's token Secret", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    assert.deepEqual(crossReferenceProblems(objects, operatorSecret), []);
  });

  test("the token Secret the operator creates is the only outside reference", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    assert.deepEqual(crossReferenceProblems(objects), [
      "Deployment ballast-controller: Secret ballast-cloud-token does not exist",
      "DaemonSet ballast-node: Secret ballast-cloud-token does not exist",
    ]);
  });

  test("every namespaced object lands in ballast-system", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    const clusterScoped = new Set([
      "Namespace",
      "CSIDriver",
      "ClusterRole",
      "ClusterRoleBinding",
      "StorageClass",
      "VolumeSnapshotClass",
    ]);
    const stray = objects.filter(
      (o) => !clusterScoped.has(o.kind) && o.metadata.namespace !== "ballast-system",
    );
    assert.deepEqual(kinds(stray), []);
  });

  test("the node plugin mounts the kubelet directory with Bidirectional propagation", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    const node = containerOf(objects, "DaemonSet", "ballast-node", "ballast") as unknown as {
      volumeMounts: { name: string; mountPath: string; mountPropagation?: string }[];
      securityContext: { privileged?: boolean };
    };
    const kubelet = node.volumeMounts.find((m) => m.mountPath === "/var/lib/kubelet");
    assert.equal(kubelet?.mountPropagation, "Bidirectional");
    assert.equal(node.securityContext.privileged, true);
  });

  test("the controller PodDisruptionBudget lets a drain evict a controller that is not ready", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    const budget = objectNamed(objects, "PodDisruptionBudget", (n) => n === "ballast-controller");
    assert.equal(
      (budget.spec as { unhealthyPodEvictionPolicy?: string }).unhealthyPodEvictionPolicy,
      "AlwaysAllow",
    );
  });

  test("no container of the controller runs privileged or as root", async (t) => {
    const objects = await render(t, "base");
    if (objects === undefined) return;
    const controller = objectNamed(objects, "Deployment", (n) => n === "ballast-controller");
    const pod = (controller.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      securityContext: { runAsNonRoot: boolean; runAsUser: number };
      containers: {
        name: string;
        securityContext?: { privileged?: boolean; readOnlyRootFilesystem?: boolean };
      }[];
    };
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 10001);
    const loose = pod.containers.filter(
      (c) => c.securityContext?.privileged || !c.securityContext?.readOnlyRootFilesystem,
    );
    assert.deepEqual(
      loose.map((c) => c.name),
      [],
    );
  });
});

describe("kustomize overlay production", () => {
  test("every object is valid and every reference resolves", async (t) => {
    const objects = await render(t, "overlays/production");
    if (objects === undefined) return;
    assert.deepEqual(objects.flatMap(schemaProblems), []);
    assert.deepEqual(crossReferenceProblems(objects, operatorSecret), []);
  });

  test("pins the image, runs three controllers and sizes the driver", async (t) => {
    const objects = await render(t, "overlays/production");
    if (objects === undefined) return;
    const controller = objectNamed(objects, "Deployment", (n) => n === "ballast-controller");
    assert.equal((controller.spec as { replicas: number }).replicas, 3);
    const driver = containerOf(objects, "Deployment", "ballast-controller", "ballast");
    assert.equal(driver?.image, "ghcr.io/ballast-csi/ballast:0.1.0");
    assert.deepEqual(driver?.resources, {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { memory: "512Mi" },
    });
    const sidecar = containerOf(objects, "Deployment", "ballast-controller", "csi-provisioner");
    assert.equal(sidecar?.image, "registry.k8s.io/sig-storage/csi-provisioner:v6.3.0");
  });
});

describe("kustomize overlay reference-cloud", () => {
  test("every object is valid and every reference resolves without outside Secrets", async (t) => {
    const objects = await render(t, "overlays/reference-cloud");
    if (objects === undefined) return;
    assert.deepEqual(objects.flatMap(schemaProblems), []);
    assert.deepEqual(crossReferenceProblems(objects), []);
  });

  test("adds the reference cloud Deployment, Service, instance list and trial token", async (t) => {
    const objects = await render(t, "overlays/reference-cloud");
    if (objects === undefined) return;
    const added = kinds(objects).filter((k) => !baseKinds.includes(k));
    assert.deepEqual(added, [
      "ConfigMap/ballast-cloud-config",
      "Deployment/ballast-cloud",
      "Secret/ballast-cloud-token",
      "Service/ballast-cloud",
    ]);
    const cloud = containerOf(objects, "Deployment", "ballast-cloud", "cloud");
    assert.deepEqual(cloud?.args, [
      "cloud",
      "--listen=0.0.0.0:8787",
      "--data-dir=/var/lib/ballast-cloud",
      "--config=/etc/ballast-cloud/config.yaml",
      "--no-local-attach",
    ]);
    const config = objectNamed(objects, "ConfigMap", (n) => n.startsWith("ballast-cloud-config-"));
    const instances = (
      parse((config.data as Record<string, string>)["config.yaml"] ?? "") as {
        instances: { name: string; zone: string }[];
      }
    ).instances;
    assert.ok(instances.length > 0 && instances.every((i) => /^ref-1[abc]$/.test(i.zone)));
  });

  test("a new trial token renames its Secret and every pod follows the new name", async (t) => {
    const objects = await render(t, "overlays/reference-cloud");
    if (objects === undefined) return;
    const secret = objectNamed(objects, "Secret", (n) => n.startsWith("ballast-cloud-token"));
    assert.match(secret.metadata.name, /^ballast-cloud-token-[a-z0-9]{10}$/);
    const cloud = containerOf(objects, "Deployment", "ballast-cloud", "cloud");
    const tokenEnv = cloud?.env?.find((e) => e.name === "BALLAST_CLOUD_TOKEN");
    assert.equal(tokenEnv?.valueFrom?.secretKeyRef?.name, secret.metadata.name);
    for (const [kind, name] of [
      ["Deployment", "ballast-controller"],
      ["DaemonSet", "ballast-node"],
    ] as const) {
      const workload = objectNamed(objects, kind, (n) => n === name);
      const volumes = (
        workload.spec as { template: { spec: { volumes: { secret?: { secretName: string } }[] } } }
      ).template.spec.volumes;
      assert.deepEqual(
        volumes.flatMap((v) => (v.secret ? [v.secret.secretName] : [])),
        [secret.metadata.name],
        name,
      );
    }
  });

  test("points the driver at the in-cluster cloud Service", async (t) => {
    const objects = await render(t, "overlays/reference-cloud");
    if (objects === undefined) return;
    const service = objectNamed(objects, "Service", (n) => n === "ballast-cloud");
    const port = (service.spec as { ports: { port: number }[] }).ports[0]?.port;
    const config = objectNamed(objects, "ConfigMap", (n) => /^ballast-cloud-[a-z0-9]{10}$/.test(n));
    assert.equal(
      (config.data as { url: string }).url,
      `http://ballast-cloud.${service.metadata.namespace}.svc:${port}`,
    );
    const driver = containerOf(objects, "Deployment", "ballast-controller", "ballast");
    const urlEnv = driver?.env?.find((e) => e.name === "BALLAST_CLOUD_URL");
    assert.equal(urlEnv?.valueFrom?.configMapKeyRef?.name, config.metadata.name);
    assert.ok(driver?.args?.includes("--cloud-url=$(BALLAST_CLOUD_URL)"));
  });
});

describe("kustomize overlays per cloud provider", () => {
  const providerSecret = { secrets: { "ballast-cloud-token": ["token", "access-token"] } };
  // The rate-limit flags of the driver in the controller and in the node plugin.
  const rateLimitArgs = (objects: KubeObject[]) =>
    [
      containerOf(objects, "Deployment", "ballast-controller", "ballast"),
      containerOf(objects, "DaemonSet", "ballast-node", "ballast"),
    ].map((c) => c?.args?.filter((a) => /^--cloud-(qps|burst)=/.test(a)));

  test("digitalocean: no --cloud-qps or --cloud-burst, so the driver keeps DigitalOcean's own limit", async (t) => {
    const objects = await render(t, "overlays/digitalocean");
    if (objects === undefined) return;
    assert.deepEqual(rateLimitArgs(objects), [[], []]);
  });

  test("hetzner: no --cloud-qps or --cloud-burst, so the driver keeps Hetzner's own limit", async (t) => {
    const objects = await render(t, "overlays/hetzner");
    if (objects === undefined) return;
    assert.deepEqual(rateLimitArgs(objects), [[], []]);
  });

  test("digitalocean: its API, the access-token key, one tier-less class, snapshots kept", async (t) => {
    const objects = await render(t, "overlays/digitalocean");
    if (objects === undefined) return;
    assert.deepEqual(objects.flatMap(schemaProblems), []);
    assert.deepEqual(crossReferenceProblems(objects, providerSecret), []);
    const cloud = objectNamed(objects, "ConfigMap", (n) => n.startsWith("ballast-cloud-"));
    assert.equal((cloud.data as { url: string }).url, "https://api.digitalocean.com");
    for (const [kind, name] of [
      ["Deployment", "ballast-controller"],
      ["DaemonSet", "ballast-node"],
    ] as const) {
      assert.ok(containerOf(objects, kind, name, "ballast")?.args?.includes("--cloud-provider=digitalocean"));
    }
    const classes = objects.filter((o) => o.kind === "StorageClass");
    assert.deepEqual(
      classes.map((c) => [c.metadata.name, (c as unknown as { parameters: unknown }).parameters]),
      [["ballast-do", { "csi.storage.k8s.io/fstype": "ext4" }]],
    );
    assert.ok(containerOf(objects, "Deployment", "ballast-controller", "csi-snapshotter"));
    assert.ok(kinds(objects).includes("VolumeSnapshotClass/ballast-snapshots"));
    const node = objectNamed(objects, "DaemonSet", (n) => n === "ballast-node") as unknown as {
      spec: { template: { spec: { hostNetwork?: boolean; dnsPolicy?: string } } };
    };
    assert.equal(node.spec.template.spec.hostNetwork, true);
    assert.equal(node.spec.template.spec.dnsPolicy, "ClusterFirstWithHostNet");
  });

  test("hetzner: its API, one tier-less class, no snapshotter and no snapshot class", async (t) => {
    const objects = await render(t, "overlays/hetzner");
    if (objects === undefined) return;
    assert.deepEqual(objects.flatMap(schemaProblems), []);
    assert.deepEqual(crossReferenceProblems(objects, providerSecret), []);
    const cloud = objectNamed(objects, "ConfigMap", (n) => n.startsWith("ballast-cloud-"));
    assert.equal((cloud.data as { url: string }).url, "https://api.hetzner.cloud/v1");
    assert.ok(
      containerOf(objects, "DaemonSet", "ballast-node", "ballast")?.args?.includes(
        "--cloud-provider=hetzner",
      ),
    );
    assert.equal(containerOf(objects, "Deployment", "ballast-controller", "csi-snapshotter"), undefined);
    assert.deepEqual(
      kinds(objects).filter((k) => k.startsWith("VolumeSnapshotClass/") || k.startsWith("StorageClass/")),
      ["StorageClass/ballast-hcloud"],
    );
  });
});
