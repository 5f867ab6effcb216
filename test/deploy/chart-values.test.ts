import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { Ajv } from "ajv";
import { LOG_LEVELS } from "../../src/observability/logger.js";
import { PROVIDER_NAMES } from "../../src/providers/provider.js";
import { loadProvider } from "../../src/providers/registry.js";
import { chartDir, ciValueFiles, defaultValues, mergeValues, readYaml, type Values } from "./chart.js";

const schema = JSON.parse(readFileSync(path.join(chartDir, "values.schema.json"), "utf8")) as object;
const validate = new Ajv({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
}).compile(schema);

function schemaErrors(values: Values): string[] {
  if (validate(values)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

function withStorageClass(storageClass: Values): Values {
  return mergeValues(defaultValues(), { storageClasses: [storageClass] });
}

describe("chart values", () => {
  test("values.yaml satisfies values.schema.json", () => {
    assert.deepEqual(schemaErrors(defaultValues()), []);
  });

  test("ci/ holds the default, full and minimal values files", () => {
    const files = ciValueFiles();
    for (const name of ["default-values.yaml", "full-values.yaml", "minimal-values.yaml"]) {
      assert.ok(files.includes(name), `${name} missing from ci/: ${files.join(", ")}`);
    }
  });

  for (const file of ciValueFiles()) {
    test(`ci/${file} over values.yaml satisfies the schema`, () => {
      const override = readYaml(path.join(chartDir, "ci", file)) as Values;
      assert.deepEqual(schemaErrors(mergeValues(defaultValues(), override)), []);
    });
  }

  test("ci/full-values.yaml turns on every switch but the ones that exclude another", () => {
    const full = mergeValues(
      defaultValues(),
      readYaml(path.join(chartDir, "ci", "full-values.yaml")) as Values,
    );
    // Off on purpose: podMonitor excludes serviceMonitor, explicit tolerations replace
    // tolerate-all, one sidecar keeps leader election off to render that branch, and security
    // settings stay strict.
    const offOnPurpose = [
      "metrics.podMonitor.enabled",
      "node.tolerateAllTaints",
      "sidecars.snapshotter.leaderElection.enabled",
      "controller.containerSecurityContext.allowPrivilegeEscalation",
    ];
    const offSwitches = (values: Values, prefix: string): string[] =>
      Object.entries(values).flatMap(([key, value]) => {
        if (value === false) return [`${prefix}${key}`];
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
          return offSwitches(value as Values, `${prefix}${key}.`);
        }
        return [];
      });
    assert.deepEqual(
      offSwitches(full, "").filter((p) => !offOnPurpose.includes(p)),
      [],
    );
  });

  test("the schema rejects a misspelled key", () => {
    const values = mergeValues(defaultValues(), { controller: { replica: 3 } });
    assert.deepEqual(schemaErrors(values), [
      '/controller must NOT have additional properties {"additionalProperty":"replica"}',
    ]);
  });

  test("the schema takes node.reportStandardZoneKey as a boolean only", () => {
    const off = mergeValues(defaultValues(), { node: { reportStandardZoneKey: false } });
    const quoted = mergeValues(defaultValues(), { node: { reportStandardZoneKey: "false" } });
    assert.deepEqual(schemaErrors(off), []);
    assert.deepEqual(schemaErrors(quoted), [
      '/node/reportStandardZoneKey must be boolean {"type":"boolean"}',
    ]);
  });

  test("logLevel takes exactly the driver's --log-level values, and its docs name them all", () => {
    const logLevel = (schema as { properties: { logLevel: { enum: string[] } } }).properties.logLevel;
    assert.deepEqual([...logLevel.enum].sort(), [...LOG_LEVELS].sort());
    const values = readFileSync(path.join(chartDir, "values.yaml"), "utf8");
    const readme = readFileSync(path.join(chartDir, "README.md"), "utf8");
    const comment = /## @param logLevel (.*)\nlogLevel:/.exec(values)?.[1] ?? "";
    const row = /^\| `logLevel` .*$/m.exec(readme)?.[0] ?? "";
    for (const level of LOG_LEVELS) {
      assert.equal(comment.includes(level), true, `values.yaml annotation lacks ${level}`);
      assert.equal(row.includes(level), true, `README row lacks ${level}`);
    }
  });

  test("the cloud.qps and cloud.burst annotations name the driver's default for every provider", async () => {
    const values = readFileSync(path.join(chartDir, "values.yaml"), "utf8");
    const qps = /## @param cloud\.qps (.*)\n/.exec(values)?.[1] ?? "";
    const burst = /## @param cloud\.burst (.*)\n/.exec(values)?.[1] ?? "";
    const providers = await Promise.all(PROVIDER_NAMES.map(loadProvider));
    const unnamed = providers.flatMap((p) => [
      ...(qps.includes(`${p.defaultQps} for ${p.name}`) ? [] : [`qps ${p.name}`]),
      ...(burst.includes(`${p.defaultBurst} for ${p.name}`) ? [] : [`burst ${p.name}`]),
    ]);
    assert.deepEqual(unnamed, []);
  });

  test("the schema rejects a tier the driver does not know", () => {
    const errors = schemaErrors(withStorageClass({ name: "gold", type: "gold" }));
    assert.deepEqual(errors, [
      '/storageClasses/0/type must be equal to one of the allowed values {"allowedValues":["standard","balanced","performance"]}',
    ]);
  });

  test("the schema rejects a StorageClass parameter the driver does not know", () => {
    const errors = schemaErrors(
      withStorageClass({ name: "fast", type: "balanced", parameters: { iopsPerGB: "10" } }),
    );
    assert.equal(errors.length, 2);
    assert.match(errors[0] ?? "", /^\/storageClasses\/0\/parameters must match pattern/);
  });

  test("the schema accepts the documented StorageClass parameters", () => {
    const parameters = {
      blockSize: "4096",
      inodeSize: "512",
      bytesPerInode: "16384",
      numberOfInodes: "100000",
      tagSpecification_1: "owner={{ .PVCNamespace }}",
    };
    assert.deepEqual(schemaErrors(withStorageClass({ name: "tuned", type: "standard", parameters })), []);
  });

  test("the schema rejects VolumeSnapshotClass parameters, which the driver or the snapshotter refuses", () => {
    const withSnapshotParameters = (parameters: Values) =>
      mergeValues(defaultValues(), { volumeSnapshotClasses: [{ name: "tagged", parameters }] });
    assert.deepEqual(schemaErrors(withSnapshotParameters({})), []);
    assert.deepEqual(schemaErrors(withSnapshotParameters({ tagSpecification_1: "team=storage" })), [
      '/volumeSnapshotClasses/0/parameters must NOT have more than 0 properties {"limit":0}',
    ]);
    assert.deepEqual(
      schemaErrors(
        withSnapshotParameters({ "csi.storage.k8s.io/snapshotter-secret-name": "ballast-cloud-token" }),
      ),
      ['/volumeSnapshotClasses/0/parameters must NOT have more than 0 properties {"limit":0}'],
    );
  });

  test("the schema rejects a VolumeAttributesClass that changes nothing", () => {
    const values = mergeValues(defaultValues(), { volumeAttributesClasses: [{ name: "empty" }] });
    assert.ok(
      schemaErrors(values).some((e) =>
        e.startsWith("/volumeAttributesClasses/0 must match a schema in anyOf"),
      ),
    );
  });
});
