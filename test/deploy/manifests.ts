import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as prometheusOperator from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Ajv } from "ajv";
import * as apps from "kubernetes-models/apps/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as rbac from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as storage from "kubernetes-models/storage.k8s.io/v1";
import * as core from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";

const execFileAsync = promisify(execFile);

/** A Kubernetes object as it comes out of a manifest. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

type Validator = (object: KubeObject) => void;

/** Parses every document of a multi-document YAML stream, failing on the first YAML error. */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw document.errors[0];
    const value = document.toJS() as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

/**
 * Why `kubectl kustomize` cannot run here, or undefined when it can. In CI the caller turns a
 * reason into a failure: the manifests must be rendered there.
 */
export async function kubectlUnavailableReason(): Promise<string | undefined> {
  try {
    await execFileAsync("kubectl", ["version", "--client"], { timeout: 30_000 });
    return undefined;
  } catch (error) {
    return `kubectl is not usable: ${(error as Error).message}`;
  }
}

export async function renderKustomization(directory: string): Promise<KubeObject[]> {
  const { stdout } = await execFileAsync("kubectl", ["kustomize", directory], {
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseManifests(stdout);
}

// Kinds kubernetes-models 4 has no model for: the external-snapshotter CRDs and
// VolumeAttributesClass (storage.k8s.io/v1 since Kubernetes 1.34, v1beta1 before). The group
// snapshot CRD serves the same VolumeGroupSnapshotClass schema in v1beta1, v1beta2 and v1.
const stringMap = { type: "object", additionalProperties: { type: "string" } };
const objectMeta = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" },
    labels: stringMap,
    annotations: stringMap,
  },
};
const crdSchemas: Record<string, object> = {
  "snapshot.storage.k8s.io/v1/VolumeSnapshotClass": {
    type: "object",
    required: ["apiVersion", "kind", "metadata", "driver", "deletionPolicy"],
    additionalProperties: false,
    properties: {
      apiVersion: { const: "snapshot.storage.k8s.io/v1" },
      kind: { const: "VolumeSnapshotClass" },
      metadata: objectMeta,
      driver: { type: "string", minLength: 1 },
      deletionPolicy: { enum: ["Delete", "Retain"] },
      parameters: stringMap,
    },
  },
  ...Object.fromEntries(
    ["v1beta1", "v1beta2", "v1"].map((version) => {
      const apiVersion = `groupsnapshot.storage.k8s.io/${version}`;
      return [
        `${apiVersion}/VolumeGroupSnapshotClass`,
        {
          type: "object",
          required: ["apiVersion", "kind", "metadata", "driver", "deletionPolicy"],
          additionalProperties: false,
          properties: {
            apiVersion: { const: apiVersion },
            kind: { const: "VolumeGroupSnapshotClass" },
            metadata: objectMeta,
            driver: { type: "string", minLength: 1 },
            deletionPolicy: { enum: ["Delete", "Retain"] },
            parameters: stringMap,
          },
        },
      ];
    }),
  ),
  ...Object.fromEntries(
    ["storage.k8s.io/v1", "storage.k8s.io/v1beta1"].map((apiVersion) => [
      `${apiVersion}/VolumeAttributesClass`,
      {
        type: "object",
        required: ["apiVersion", "kind", "metadata", "driverName"],
        additionalProperties: false,
        properties: {
          apiVersion: { const: apiVersion },
          kind: { const: "VolumeAttributesClass" },
          metadata: objectMeta,
          driverName: { type: "string", minLength: 1 },
          parameters: stringMap,
        },
      },
    ]),
  ),
};

function modelValidators(): Map<string, Validator> {
  const validators = new Map<string, Validator>();
  for (const group of [core, apps, policy, rbac, storage, prometheusOperator]) {
    for (const model of Object.values(group)) {
      const { apiVersion, kind } = model as { apiVersion?: unknown; kind?: unknown };
      if (typeof apiVersion !== "string" || typeof kind !== "string") continue;
      const Model = model as unknown as new (data: KubeObject) => { validate(): void };
      validators.set(`${apiVersion}/${kind}`, (object) => new Model(object).validate());
    }
  }
  const ajv = new Ajv({ allErrors: true });
  for (const [key, schema] of Object.entries(crdSchemas)) {
    const validate = ajv.compile(schema);
    validators.set(key, (object) => {
      if (!validate(object)) throw new Error(ajv.errorsText(validate.errors));
    });
  }
  return validators;
}

const validators = modelValidators();

/** Schema problems of one object; an apiVersion/kind without a known schema is a problem too. */
export function schemaProblems(object: KubeObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const validate = validators.get(key);
  const where = `${object.kind} ${object.metadata?.name}`;
  if (validate === undefined) return [`${where}: no schema for ${key}`];
  try {
    validate(object);
    return [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
}

interface ContainerPort {
  name?: string;
  containerPort: number;
}
interface Probe {
  httpGet?: { port: number | string };
  tcpSocket?: { port: number | string };
}
interface Container {
  name: string;
  ports?: ContainerPort[];
  volumeMounts?: { name: string }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  env?: {
    name: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string; optional?: boolean };
      configMapKeyRef?: { name: string; key: string; optional?: boolean };
    };
  }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string }[]; optional?: boolean };
  configMap?: { name: string; items?: { key: string }[]; optional?: boolean };
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}
interface Workload {
  object: KubeObject;
  labels: Record<string, string>;
  selector: Record<string, string>;
  pod: PodSpec;
}

function workloads(objects: KubeObject[]): Workload[] {
  return objects
    .filter((o) => ["Deployment", "DaemonSet", "StatefulSet"].includes(o.kind))
    .map((object) => {
      const spec = object.spec as {
        selector: { matchLabels?: Record<string, string> };
        template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
      };
      return {
        object,
        labels: spec.template.metadata?.labels ?? {},
        selector: spec.selector.matchLabels ?? {},
        pod: spec.template.spec,
      };
    });
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

function find(objects: KubeObject[], kind: string, name: string, namespace?: string): KubeObject | undefined {
  return objects.find(
    (o) =>
      o.kind === kind &&
      o.metadata.name === name &&
      (namespace === undefined || o.metadata.namespace === namespace),
  );
}

function dataKeys(object: KubeObject): string[] {
  return [
    ...Object.keys((object.data as Record<string, string>) ?? {}),
    ...Object.keys((object.stringData as Record<string, string>) ?? {}),
  ];
}

/** Secrets and ConfigMaps a manifest set may name without containing, e.g. the API token Secret. */
export interface ExternalObjects {
  secrets?: Record<string, string[]>;
  configMaps?: Record<string, string[]>;
}

/**
 * Everything in a set of objects that names something that is not there or does not fit:
 * ServiceAccounts, Secret/ConfigMap names and keys, volume mounts, named probe ports, Service
 * selectors and target ports, workload and PDB selectors, RBAC subjects and roles.
 */
export function crossReferenceProblems(objects: KubeObject[], external: ExternalObjects = {}): string[] {
  const problems: string[] = [];
  const all = workloads(objects);

  const keysOf = (kind: "Secret" | "ConfigMap", name: string, namespace?: string): string[] | undefined => {
    const object = find(objects, kind, name, namespace);
    if (object !== undefined) return dataKeys(object);
    return (kind === "Secret" ? external.secrets : external.configMaps)?.[name];
  };
  const checkKey = (where: string, kind: "Secret" | "ConfigMap", name: string, key: string, ns?: string) => {
    const keys = keysOf(kind, name, ns);
    if (keys === undefined) problems.push(`${where}: ${kind} ${name} does not exist`);
    else if (!keys.includes(key)) problems.push(`${where}: ${kind} ${name} has no key ${key}`);
  };

  for (const { object, labels, selector, pod } of all) {
    const where = `${object.kind} ${object.metadata.name}`;
    const namespace = object.metadata.namespace;
    if (!matches(selector, labels))
      problems.push(`${where}: selector does not match the pod template labels`);
    const account = pod.serviceAccountName ?? "default";
    if (account !== "default" && find(objects, "ServiceAccount", account, namespace) === undefined) {
      problems.push(`${where}: ServiceAccount ${account} does not exist`);
    }
    const volumes = pod.volumes ?? [];
    const mounted = new Set<string>();
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      const at = `${where} container ${container.name}`;
      for (const mount of container.volumeMounts ?? []) {
        mounted.add(mount.name);
        if (!volumes.some((v) => v.name === mount.name))
          problems.push(`${at}: mounts missing volume ${mount.name}`);
      }
      const portNames = new Set((container.ports ?? []).map((p) => p.name));
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
        if (typeof port === "string" && !portNames.has(port))
          problems.push(`${at}: probe names missing port ${port}`);
      }
      for (const env of container.env ?? []) {
        const secretRef = env.valueFrom?.secretKeyRef;
        if (secretRef && !secretRef.optional)
          checkKey(at, "Secret", secretRef.name, secretRef.key, namespace);
        const configMapRef = env.valueFrom?.configMapKeyRef;
        if (configMapRef && !configMapRef.optional) {
          checkKey(at, "ConfigMap", configMapRef.name, configMapRef.key, namespace);
        }
      }
    }
    for (const volume of volumes) {
      if (!mounted.has(volume.name)) problems.push(`${where}: volume ${volume.name} is never mounted`);
      if (volume.secret && !volume.secret.optional) {
        const { secretName, items = [] } = volume.secret;
        for (const item of items) checkKey(where, "Secret", secretName, item.key, namespace);
        if (items.length === 0 && keysOf("Secret", secretName, namespace) === undefined) {
          problems.push(`${where}: Secret ${secretName} does not exist`);
        }
      }
      if (volume.configMap && !volume.configMap.optional) {
        for (const item of volume.configMap.items ?? []) {
          checkKey(where, "ConfigMap", volume.configMap.name, item.key, namespace);
        }
      }
    }
  }

  for (const service of objects.filter((o) => o.kind === "Service")) {
    const where = `Service ${service.metadata.name}`;
    const spec = service.spec as {
      selector?: Record<string, string>;
      ports: { targetPort?: number | string }[];
    };
    const backends = all.filter(
      (w) =>
        w.object.metadata.namespace === service.metadata.namespace && matches(spec.selector ?? {}, w.labels),
    );
    if (backends.length === 0) {
      problems.push(`${where}: selector matches no workload`);
      continue;
    }
    for (const { targetPort } of spec.ports) {
      if (typeof targetPort !== "string") continue;
      const served = backends.every((w) =>
        w.pod.containers.some((c) => (c.ports ?? []).some((p) => p.name === targetPort)),
      );
      if (!served) problems.push(`${where}: targetPort ${targetPort} is not a named port of its pods`);
    }
  }

  for (const budget of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
    const selector =
      (budget.spec as { selector: { matchLabels?: Record<string, string> } }).selector.matchLabels ?? {};
    if (!all.some((w) => matches(selector, w.labels))) {
      problems.push(`PodDisruptionBudget ${budget.metadata.name}: selector matches no workload`);
    }
  }

  for (const binding of objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding")) {
    const where = `${binding.kind} ${binding.metadata.name}`;
    const roleRef = binding.roleRef as { kind: string; name: string };
    const roleNamespace = roleRef.kind === "Role" ? binding.metadata.namespace : undefined;
    if (find(objects, roleRef.kind, roleRef.name, roleNamespace) === undefined) {
      problems.push(`${where}: ${roleRef.kind} ${roleRef.name} does not exist`);
    }
    for (const subject of (binding.subjects as { kind: string; name: string; namespace?: string }[]) ?? []) {
      if (
        subject.kind === "ServiceAccount" &&
        find(objects, "ServiceAccount", subject.name, subject.namespace) === undefined
      ) {
        problems.push(`${where}: ServiceAccount ${subject.namespace}/${subject.name} does not exist`);
      }
    }
  }
  return problems;
}

/** The container named `name` of the workload of `kind` named `workload`. */
export function containerOf(objects: KubeObject[], kind: string, workload: string, name: string) {
  const match = workloads(objects).find((w) => w.object.kind === kind && w.object.metadata.name === workload);
  return match?.pod.containers.find((c) => c.name === name) as
    | (Container & { args?: string[]; image?: string; resources?: unknown })
    | undefined;
}
