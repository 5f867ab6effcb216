import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { chartDir, defaultValues, mergeValues, type Values } from "./chart.js";
import { ChartRenderer } from "./helm-template.js";
import { type KubeObject, parseManifests } from "./manifests.js";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** One permission a sidecar needs: `group/resource verb`, the core group written as "". */
type Need = [group: string, resource: string, verbs: string[]];

const list = ["get", "list", "watch"];
const events: Need = ["", "events", ["list", "watch", "create", "update", "patch"]];

/*
 * The cluster-wide permissions of the upstream RBAC each pinned sidecar release publishes
 * (deploy/kubernetes/rbac*.yaml of kubernetes-csi, without the optional Secrets rule). A sidecar
 * missing one logs "forbidden" on every relist and leaves its feature half-working.
 */
const sidecarNeeds: Record<string, Need[]> = {
  // csi-provisioner v6.3: volumesnapshots watch/update since v6.2 (source-protection finalizer).
  provisioner: [
    ["", "persistentvolumes", [...list, "create", "delete", "patch"]],
    ["", "persistentvolumeclaims", [...list, "update"]],
    ["storage.k8s.io", "storageclasses", list],
    events,
    ["snapshot.storage.k8s.io", "volumesnapshots", [...list, "update"]],
    ["snapshot.storage.k8s.io", "volumesnapshotcontents", ["get", "list"]],
    ["storage.k8s.io", "csinodes", list],
    ["", "nodes", list],
    ["storage.k8s.io", "volumeattachments", list],
    ["storage.k8s.io", "volumeattributesclasses", list],
  ],
  attacher: [
    ["", "persistentvolumes", [...list, "patch"]],
    ["storage.k8s.io", "csinodes", list],
    ["storage.k8s.io", "volumeattachments", [...list, "patch"]],
    ["storage.k8s.io", "volumeattachments/status", ["patch"]],
  ],
  resizer: [
    ["", "persistentvolumes", [...list, "patch"]],
    ["", "persistentvolumeclaims", list],
    ["", "pods", list],
    ["", "persistentvolumeclaims/status", ["patch"]],
    events,
    ["storage.k8s.io", "volumeattributesclasses", list],
  ],
  snapshotter: [
    events,
    ["snapshot.storage.k8s.io", "volumesnapshotclasses", list],
    ["snapshot.storage.k8s.io", "volumesnapshotcontents", [...list, "update", "patch"]],
    ["snapshot.storage.k8s.io", "volumesnapshotcontents/status", ["update", "patch"]],
  ],
};

/*
 * What csi-snapshotter's group snapshot controller adds with --feature-gates=CSIVolumeGroupSnapshot=true
 * (upstream RBAC since v8.2, when creating the member VolumeSnapshotContents moved to the
 * snapshot-controller).
 */
const groupSnapshotNeeds: Need[] = [
  ["groupsnapshot.storage.k8s.io", "volumegroupsnapshotclasses", list],
  ["groupsnapshot.storage.k8s.io", "volumegroupsnapshotcontents", [...list, "update", "patch"]],
  ["groupsnapshot.storage.k8s.io", "volumegroupsnapshotcontents/status", ["update", "patch"]],
];

const leaderElectionNeeds: Need[] = [
  ["coordination.k8s.io", "leases", ["get", "watch", "list", "delete", "update", "create"]],
];

/** `group/resource verb` entries of `needs` that no rule grants. */
function missing(rules: Rule[], needs: Need[]): string[] {
  return needs.flatMap(([group, resource, verbs]) =>
    verbs
      .filter(
        (verb) =>
          !rules.some(
            (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
          ),
      )
      .map((verb) => `${group}/${resource} ${verb}`),
  );
}

function rulesOf(objects: KubeObject[], kind: string): Rule[] {
  const role = objects.find((o) => o.kind === kind);
  assert.ok(role, `no ${kind}`);
  return role.rules as Rule[];
}

const renderer = new ChartRenderer(chartDir);

function renderChart(override: Values): KubeObject[] {
  const values = mergeValues(
    mergeValues(defaultValues(), {
      cloud: { url: "https://block.example.com", token: { existingSecret: "ballast-cloud-token" } },
    }),
    override,
  );
  const { manifests } = renderer.render(values, { releaseName: "ballast-csi", namespace: "kube-system" });
  return [...manifests.values()].flatMap(parseManifests);
}

describe("sidecar RBAC", () => {
  for (const [sidecar, needs] of Object.entries(sidecarNeeds)) {
    test(`the chart's controller ClusterRole grants what csi-${sidecar} asks for`, () => {
      assert.deepEqual(missing(rulesOf(renderChart({}), "ClusterRole"), needs), []);
    });
  }

  test("without the snapshotter the provisioner can still restore from VolumeSnapshots", () => {
    const rules = rulesOf(renderChart({ sidecars: { snapshotter: { enabled: false } } }), "ClusterRole");
    const needs = sidecarNeeds.provisioner ?? [];
    assert.deepEqual(missing(rules, needs), []);
  });

  test("with group snapshots the chart's ClusterRole grants what csi-snapshotter's group controller asks for", () => {
    const objects = renderChart({ sidecars: { snapshotter: { groupSnapshots: { enabled: true } } } });
    assert.deepEqual(missing(rulesOf(objects, "ClusterRole"), groupSnapshotNeeds), []);
  });

  test("the leader-election Role grants the sidecars their Leases", () => {
    assert.deepEqual(missing(rulesOf(renderChart({}), "Role"), leaderElectionNeeds), []);
  });

  test("the kustomize base grants every sidecar what it asks for", () => {
    const file = path.resolve(chartDir, "../../kustomize/base/controller-rbac.yaml");
    const objects = parseManifests(readFileSync(file, "utf8"));
    const needs = Object.values(sidecarNeeds).flat();
    assert.deepEqual(missing(rulesOf(objects, "ClusterRole"), needs), []);
    assert.deepEqual(missing(rulesOf(objects, "Role"), leaderElectionNeeds), []);
  });

  test("the kustomize group-snapshots component grants what csi-snapshotter's group controller asks for", () => {
    const file = path.resolve(
      chartDir,
      "../../kustomize/components/group-snapshots/group-snapshot-rbac.yaml",
    );
    const objects = parseManifests(readFileSync(file, "utf8"));
    assert.deepEqual(missing(rulesOf(objects, "ClusterRole"), groupSnapshotNeeds), []);
  });
});
