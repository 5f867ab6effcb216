import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { chartDir, defaultValues, mergeValues, type Values } from "./chart.js";
import { ChartRenderer, type RenderOptions } from "./helm-template.js";
import {
  containerOf,
  crossReferenceProblems,
  type KubeObject,
  kubectlUnavailableReason,
  parseManifests,
  renderKustomization,
  schemaProblems,
} from "./manifests.js";

/*
 * Volume group snapshots are off by default in both trees: the chart turns them on with
 * `sidecars.snapshotter.groupSnapshots.enabled`, kustomize with the group-snapshots component.
 * Both must add the same objects, rules and flag.
 */

const kustomizeDir = path.resolve(chartDir, "../../kustomize");
const componentDir = path.join(kustomizeDir, "components/group-snapshots");
const groupSnapshotApi = "groupsnapshot.storage.k8s.io";
const gate = "--feature-gates=CSIVolumeGroupSnapshot=true";

const renderer = new ChartRenderer(chartDir);
const release: RenderOptions = {
  releaseName: "ballast",
  namespace: "ballast-system",
  kubeVersion: "v1.36.0",
};

function chartObjects(groupSnapshots: boolean, options: Partial<RenderOptions> = {}): KubeObject[] {
  const values = mergeValues(defaultValues(), {
    fullnameOverride: "ballast",
    cloud: { url: "https://block-storage.example.com", token: { existingSecret: "ballast-cloud-token" } },
    sidecars: { snapshotter: { groupSnapshots: { enabled: groupSnapshots } } },
  } as Values);
  const { manifests } = renderer.render(values, { ...release, ...options });
  return [...manifests.values()].flatMap(parseManifests);
}

function componentFile(file: string): KubeObject[] {
  return parseManifests(readFileSync(path.join(componentDir, file), "utf8"));
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

function groupSnapshotRules(objects: KubeObject[]): Rule[] {
  return objects
    .filter((o) => o.kind === "ClusterRole")
    .flatMap((o) => o.rules as Rule[])
    .filter((r) => r.apiGroups.includes(groupSnapshotApi));
}

function snapshotterArgs(objects: KubeObject[], deployment: string): string[] {
  const container = containerOf(objects, "Deployment", deployment, "csi-snapshotter");
  assert.ok(container, `Deployment ${deployment} has no csi-snapshotter`);
  return container.args ?? [];
}

/** The arguments the component's JSON patches append to a container. */
function componentAddedArgs(): string[] {
  const kustomization = parse(readFileSync(path.join(componentDir, "kustomization.yaml"), "utf8")) as {
    patches: { patch: string }[];
  };
  return kustomization.patches
    .flatMap(({ patch }) => parse(patch) as { op: string; path: string; value?: unknown }[])
    .filter(({ op, path: at }) => op === "add" && at.endsWith("/args/-"))
    .map(({ value }) => String(value));
}

function withoutHelmBookkeeping(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  delete copy.metadata.labels?.["helm.sh/chart"];
  delete copy.metadata.labels?.["app.kubernetes.io/managed-by"];
  return copy;
}

describe("group snapshots in the chart", () => {
  test("are off by default: no class, no rule on their API, no feature gate", () => {
    const objects = chartObjects(false);
    assert.deepEqual(
      objects.filter((o) => o.kind === "VolumeGroupSnapshotClass"),
      [],
    );
    assert.deepEqual(groupSnapshotRules(objects), []);
    assert.equal(snapshotterArgs(objects, "ballast-controller").includes(gate), false);
  });

  test("turned on, render the component's VolumeGroupSnapshotClass but for Helm bookkeeping", () => {
    const classes = chartObjects(true).filter((o) => o.kind === "VolumeGroupSnapshotClass");
    assert.deepEqual(classes.map(withoutHelmBookkeeping), componentFile("volumegroupsnapshotclass.yaml"));
  });

  test("turned on, grant the component's rules on the group snapshot API", () => {
    assert.deepEqual(
      groupSnapshotRules(chartObjects(true)),
      groupSnapshotRules(componentFile("group-snapshot-rbac.yaml")),
    );
  });

  test("turned on, add to csi-snapshotter exactly the arguments the component adds", () => {
    const before = snapshotterArgs(chartObjects(false), "ballast-controller");
    const after = snapshotterArgs(chartObjects(true), "ballast-controller");
    assert.deepEqual(
      after.filter((arg) => !before.includes(arg)),
      componentAddedArgs(),
    );
    assert.equal(after.length, before.length + componentAddedArgs().length);
  });

  const apiVersions: [string, Partial<RenderOptions>, Values, string][] = [
    ["Kubernetes 1.35", { kubeVersion: "v1.35.2" }, {}, "v1beta2"],
    ["Kubernetes 1.36", { kubeVersion: "v1.36.0" }, {}, "v1"],
    [
      "a 1.35 cluster that serves v1",
      { kubeVersion: "v1.35.2", apiVersions: [`${groupSnapshotApi}/v1/VolumeGroupSnapshotClass`] },
      {},
      "v1",
    ],
    [
      "an explicit volumeGroupSnapshotClassApiVersion",
      { kubeVersion: "v1.36.0" },
      { volumeGroupSnapshotClassApiVersion: `${groupSnapshotApi}/v1beta2` },
      "v1beta2",
    ],
  ];
  for (const [where, options, override, version] of apiVersions) {
    test(`the class is ${groupSnapshotApi}/${version} on ${where}`, () => {
      const values = mergeValues(defaultValues(), {
        cloud: { url: "https://block.example.com", token: { existingSecret: "t" } },
        sidecars: { snapshotter: { groupSnapshots: { enabled: true } } },
        ...override,
      } as Values);
      const { manifests } = renderer.render(values, { ...release, ...options });
      const classes = [...manifests.values()]
        .flatMap(parseManifests)
        .filter((o) => o.kind === "VolumeGroupSnapshotClass");
      assert.deepEqual(
        classes.map((o) => o.apiVersion),
        [`${groupSnapshotApi}/${version}`],
      );
      assert.deepEqual(classes.flatMap(schemaProblems), []);
    });
  }
});

describe("kustomize component group-snapshots", () => {
  let unavailable: string | undefined;
  let overlay: string | undefined;

  before(async () => {
    unavailable = await kubectlUnavailableReason();
    if (unavailable !== undefined && process.env.CI === "true") {
      throw new Error(`CI must render the kustomize tree: ${unavailable}`);
    }
    // kubectl kustomize takes only relative paths to other kustomizations.
    overlay = mkdtempSync(path.join(os.tmpdir(), "ballast-group-snapshots-"));
    const relative = (dir: string) => path.relative(overlay as string, dir);
    writeFileSync(
      path.join(overlay, "kustomization.yaml"),
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources:",
        `  - ${relative(path.join(kustomizeDir, "base"))}`,
        "components:",
        `  - ${relative(componentDir)}`,
        "",
      ].join("\n"),
    );
  });

  after(() => {
    if (overlay !== undefined) rmSync(overlay, { recursive: true, force: true });
  });

  async function render(t: { skip(message: string): void }): Promise<KubeObject[] | undefined> {
    if (unavailable !== undefined) {
      t.skip(unavailable);
      return undefined;
    }
    return renderKustomization(overlay as string);
  }

  test("on the base, every object is valid and every reference resolves", async (t) => {
    const objects = await render(t);
    if (objects === undefined) return;
    assert.deepEqual(objects.flatMap(schemaProblems), []);
    assert.deepEqual(crossReferenceProblems(objects, { secrets: { "ballast-cloud-token": ["token"] } }), []);
  });

  test("adds its RBAC and class, and the feature gate to csi-snapshotter alone", async (t) => {
    const objects = await render(t);
    if (objects === undefined) return;
    const base = await renderKustomization(path.join(kustomizeDir, "base"));
    const names = (list: KubeObject[]) => list.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.deepEqual(
      names(objects)
        .filter((n) => !names(base).includes(n))
        .sort(),
      [
        "ClusterRole/ballast-controller-group-snapshots",
        "ClusterRoleBinding/ballast-controller-group-snapshots",
        "VolumeGroupSnapshotClass/ballast-group-snapshots",
      ],
    );
    assert.deepEqual(snapshotterArgs(objects, "ballast-controller"), [
      ...snapshotterArgs(base, "ballast-controller"),
      gate,
    ]);
    const controller = objects.find(
      (o) => o.kind === "Deployment" && o.metadata.name === "ballast-controller",
    );
    assert.ok(controller, "no Deployment ballast-controller");
    const containers = (
      controller.spec as { template: { spec: { containers: { name: string; args?: string[] }[] } } }
    ).template.spec.containers;
    const gated = containers.filter((c) => c.name !== "csi-snapshotter" && c.args?.includes(gate));
    assert.deepEqual(
      gated.map((c) => c.name),
      [],
    );
  });
});
