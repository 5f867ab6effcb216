import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type { components } from "../../src/generated/digitalocean.v2.js";
import { assertBodiesValidate, assertExamplesDecode, operationsWithBody } from "./contract-checks.js";
import { at, loadOurs, loadReference, mutated } from "./contract-fixtures.js";
import { type Json, type OpenApiDocument, operationsOf } from "./openapi-document.js";
import { checkRequestBody, checkResponseExamples } from "./reference-examples.js";
import { compareDescriptions } from "./spec-contract.js";

type Schemas = components["schemas"];

const ours = loadOurs("digitalocean.v2.yaml");
const reference = (t: TestContext) =>
  loadReference(t, "digitalocean", "digitalocean-block-storage.v2.yaml") as OpenApiDocument;

const VOLUME = ["components", "schemas", "Volume", "properties"];
const VOLUME_IN = (operation: string) => [
  `GET /v2/volumes 200 body.volumes[].${operation}`,
  `POST /v2/volumes 201 body.volume.${operation}`,
  `GET /v2/volumes/{volume_id} 200 body.volume.${operation}`,
];

/** The bodies the provider sends, one or more per operation that takes a body. */
const create: Schemas["VolumeCreate"] = {
  name: "pvc-5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
  size_gigabytes: 10,
  region: "nyc1",
  description: "default/data-0",
  tags: ["ballast-managed", "ballast-csi-name-pvc-5f0c1d2e"],
};
const restore: Schemas["VolumeCreate"] = {
  name: "pvc-8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d",
  size_gigabytes: 10,
  region: "nyc1",
  snapshot_id: "8fa70202-873f-11e6-8b68-000f533176b1",
};
const attach: Schemas["VolumeActionAttach"] = { type: "attach", droplet_id: 11612190, region: "nyc1" };
const detach: Schemas["VolumeActionDetach"] = { type: "detach", droplet_id: 11612190, region: "nyc1" };
const resize: Schemas["VolumeActionResize"] = { type: "resize", size_gigabytes: 20, region: "nyc1" };
const snapshot: Schemas["SnapshotCreate"] = { name: "snapshot-3c2d1e0f", tags: ["ballast-managed"] };

const SENT = [
  { method: "post", path: "/v2/volumes", body: create },
  { method: "post", path: "/v2/volumes", body: restore },
  { method: "post", path: "/v2/volumes/{volume_id}/actions", body: attach },
  { method: "post", path: "/v2/volumes/{volume_id}/actions", body: detach },
  { method: "post", path: "/v2/volumes/{volume_id}/actions", body: resize },
  { method: "post", path: "/v2/volumes/{volume_id}/snapshots", body: snapshot },
];

describe("openapi/providers/digitalocean.v2.yaml against DigitalOcean's published description", () => {
  test("every operation, parameter, field, status and header it declares is DigitalOcean's", (t) => {
    assert.deepEqual(compareDescriptions(ours, reference(t)), []);
  });

  test("every response example DigitalOcean documents for these operations decodes under it", (t) => {
    assertExamplesDecode(ours, reference(t));
  });

  test("every request body the provider sends validates against DigitalOcean's schema and ours", (t) => {
    assertBodiesValidate(ours, reference(t), SENT);
  });

  test("the bodies checked cover every operation that takes a body", () => {
    const withBody = operationsWithBody(ours);
    assert.deepEqual([...new Set(SENT.map((s) => `${s.method} ${s.path}`))], withBody);
  });

  test("the create body cannot ask DigitalOcean to format the volume", () => {
    const fields = Object.keys(at(ours.raw, ["components", "schemas", "VolumeCreate", "properties"]));
    assert.deepEqual(fields.sort(), [
      "description",
      "name",
      "region",
      "size_gigabytes",
      "snapshot_id",
      "tags",
    ]);
  });
});

describe("the DigitalOcean contract check catches a drifted description", () => {
  test("a path DigitalOcean does not serve", (t) => {
    const drifted = mutated(ours, (raw) => {
      const paths = at(raw, ["paths"]);
      paths["/v2/volume/{volume_id}"] = paths["/v2/volumes/{volume_id}"];
      delete paths["/v2/volumes/{volume_id}"];
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t)), [
      { where: "GET /v2/volume/{volume_id}", problem: "path not in the reference" },
      { where: "DELETE /v2/volume/{volume_id}", problem: "path not in the reference" },
    ]);
  });

  test("a method DigitalOcean does not serve on a path", (t) => {
    const drifted = mutated(ours, (raw) => {
      const item = at(raw, ["paths", "/v2/volumes/{volume_id}"]);
      item.put = item.delete;
      delete item.delete;
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t)), [
      { where: "PUT /v2/volumes/{volume_id}", problem: "method not in the reference for this path" },
    ]);
  });

  test("a field whose type changed", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, [...VOLUME, "size_gigabytes"]).type = "string";
    });
    assert.deepEqual(
      compareDescriptions(drifted, reference(t)),
      VOLUME_IN("size_gigabytes").map((where) => ({
        where,
        problem: 'type ["string"], reference ["integer"]',
      })),
    );
  });

  test("a field DigitalOcean does not have", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, VOLUME).zone = { type: "string" };
    });
    assert.deepEqual(
      compareDescriptions(drifted, reference(t)),
      VOLUME_IN("zone").map((where) => ({ where, problem: "field not in the reference" })),
    );
  });

  test("a nullable field declared not nullable", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, [...VOLUME, "droplet_ids"]).type = "array";
    });
    assert.deepEqual(
      compareDescriptions(drifted, reference(t)),
      VOLUME_IN("droplet_ids").map((where) => ({ where, problem: "nullable false, reference true" })),
    );
  });

  test("an enum missing a value", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "Snapshot", "properties", "resource_type"]).enum = ["volume"];
    });
    const where = [
      "GET /v2/volumes/{volume_id}/snapshots 200 body.snapshots[].resource_type",
      "POST /v2/volumes/{volume_id}/snapshots 201 body.snapshot.resource_type",
      "GET /v2/volumes/snapshots/{snapshot_id} 200 body.snapshot.resource_type",
    ];
    assert.deepEqual(
      compareDescriptions(drifted, reference(t)),
      where.map((w) => ({ where: w, problem: 'enum ["volume"], reference ["droplet","volume"]' })),
    );
  });

  test("a required field made optional", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "VolumeCreate"]).required = ["name", "size_gigabytes"];
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t)), [
      { where: "POST /v2/volumes request body.region", problem: "required false, reference true" },
    ]);
  });

  test("a bound that differs from DigitalOcean's", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "VolumeActionResize", "properties", "size_gigabytes"]).maximum = 1000;
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t)), [
      {
        where: "POST /v2/volumes/{volume_id}/actions request body anyOf[2].size_gigabytes",
        problem: "maximum 1000, reference 16384",
      },
    ]);
  });

  test("a status code DigitalOcean does not declare", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["paths", "/v2/volumes/{volume_id}", "delete", "responses"])["409"] = {
        $ref: "#/components/responses/not_found",
      };
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t)), [
      { where: "DELETE /v2/volumes/{volume_id} 409", problem: "status not declared by the reference" },
    ]);
  });

  test("a rate-limit header of another type", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "headers", "ratelimit-reset", "schema"]).type = "string";
    });
    const mismatches = compareDescriptions(drifted, reference(t));
    const responses = operationsOf(ours).flatMap((o) => Object.keys(o.operation.responses as Json));
    assert.equal(mismatches.length, responses.length);
    for (const m of mismatches) {
      assert.match(m.where, / header ratelimit-reset$/);
      assert.equal(m.problem, 'type ["string"], reference ["integer"]');
    }
  });

  test("a response example that no longer decodes", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, [...VOLUME, "name"]).type = "integer";
    });
    const failing = checkResponseExamples(drifted, reference(t)).filter((v) => v.ours.length > 0);
    assert.deepEqual(
      failing.map((v) => v.where),
      [
        "GET /v2/volumes 200 examples.All Volumes",
        "GET /v2/volumes 200 examples.Filtered by Name",
        "GET /v2/volumes 200 examples.Filtered by Region",
        "POST /v2/volumes 201 schema example",
        "GET /v2/volumes/{volume_id} 200 schema example",
      ],
    );
  });

  test("a request body DigitalOcean would refuse", (t) => {
    const { region: _, ...withoutRegion } = create;
    assert.deepEqual(checkRequestBody(ours, reference(t), "post", "/v2/volumes", withoutRegion), {
      ours: false,
      reference: false,
    });
  });
});
