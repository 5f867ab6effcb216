import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type { components } from "../../src/generated/hetzner-cloud.v1.js";
import { assertBodiesValidate, assertExamplesDecode, operationsWithBody } from "./contract-checks.js";
import { at, loadOurs, loadReference, mutated } from "./contract-fixtures.js";
import { type OpenApiDocument, operationsOf } from "./openapi-document.js";
import { checkRequestBody, checkResponseExamples } from "./reference-examples.js";
import { compareDescriptions } from "./spec-contract.js";

type Schemas = components["schemas"];

const ours = loadOurs("hetzner-cloud.v1.yaml");
const reference = (t: TestContext) =>
  loadReference(t, "hetzner", "hetzner-cloud-volumes.yaml") as OpenApiDocument;

/**
 * Hetzner documents RateLimit-Limit, -Remaining and -Reset on every response in its API docs, but
 * its published description declares no headers for these operations.
 */
const RATE_LIMIT_HEADERS = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];
const options = { headersNotInReference: RATE_LIMIT_HEADERS };

const VOLUME_IN = (field: string) => [
  `GET /volumes 200 body.volumes[].${field}`,
  `POST /volumes 201 body.volume.${field}`,
  `GET /volumes/{id} 200 body.volume.${field}`,
];

/** The bodies the provider sends, one per operation that takes a body. */
const create: Schemas["VolumeCreate"] = {
  name: "pvc-5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
  size: 10,
  location: "fsn1",
  labels: { "ballast.dev/managed-by": "block.csi.ballast.dev", "ballast.dev/pvc-name": "data-0" },
};
const attach: Schemas["VolumeAttach"] = { server: 4711 };
const resize: Schemas["VolumeResize"] = { size: 20 };

const SENT = [
  { method: "post", path: "/volumes", body: create },
  { method: "post", path: "/volumes/{id}/actions/attach", body: attach },
  { method: "post", path: "/volumes/{id}/actions/resize", body: resize },
];

describe("openapi/providers/hetzner-cloud.v1.yaml against Hetzner's published description", () => {
  test("every operation, parameter, field and status it declares is Hetzner's", (t) => {
    assert.deepEqual(compareDescriptions(ours, reference(t), options), []);
  });

  test("the RateLimit headers are the only thing it declares that the reference does not", (t) => {
    const extra = compareDescriptions(ours, reference(t));
    const responses = operationsOf(ours).flatMap((o) => Object.keys(o.operation.responses as object));
    assert.equal(extra.length, responses.length * RATE_LIMIT_HEADERS.length);
    for (const m of extra) {
      assert.match(m.where, / header RateLimit-(Limit|Remaining|Reset)$/);
      assert.equal(m.problem, "not in the reference");
    }
  });

  test("every response example Hetzner documents for these operations decodes under it", (t) => {
    assertExamplesDecode(ours, reference(t));
  });

  test("every request body the provider sends validates against Hetzner's schema and ours", (t) => {
    assertBodiesValidate(ours, reference(t), SENT);
  });

  test("the bodies checked cover every operation that takes a body", () => {
    const withBody = operationsWithBody(ours);
    assert.deepEqual(
      SENT.map((s) => `${s.method} ${s.path}`),
      withBody,
    );
  });

  test("no body can ask Hetzner to attach at creation, automount or format", () => {
    const fields = (schema: string) =>
      Object.keys(at(ours.raw, ["components", "schemas", schema, "properties"])).sort();
    assert.deepEqual(fields("VolumeCreate"), ["labels", "location", "name", "size"]);
    assert.deepEqual(fields("VolumeAttach"), ["server"]);
  });

  test("a label value holding a namespace/name pair is refused by Hetzner's label grammar", (t) => {
    const body = { ...create, labels: { "ballast.dev/pvc": "default/data-0" } };
    assert.deepEqual(checkRequestBody(ours, reference(t), "post", "/volumes", body), {
      ours: false,
      reference: false,
    });
  });
});

describe("the Hetzner contract check catches a drifted description", () => {
  test("a path Hetzner does not serve", (t) => {
    const drifted = mutated(ours, (raw) => {
      const paths = at(raw, ["paths"]);
      paths["/volumes/{id}/attach"] = paths["/volumes/{id}/actions/attach"];
      delete paths["/volumes/{id}/actions/attach"];
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t), options), [
      { where: "POST /volumes/{id}/attach", problem: "path not in the reference" },
    ]);
  });

  test("a field whose type changed", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "Volume", "properties", "size"]).type = "integer";
    });
    assert.deepEqual(
      compareDescriptions(drifted, reference(t), options),
      VOLUME_IN("size").map((where) => ({ where, problem: 'type ["integer"], reference ["number"]' })),
    );
  });

  test("a nullable field declared not nullable", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "Volume", "properties", "server"]).type = "integer";
    });
    assert.deepEqual(
      compareDescriptions(drifted, reference(t), options),
      VOLUME_IN("server").map((where) => ({ where, problem: "nullable false, reference true" })),
    );
  });

  test("an enum with a value Hetzner does not send", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "Volume", "properties", "status"]).enum = [
        "available",
        "creating",
        "deleting",
      ];
    });
    assert.deepEqual(
      compareDescriptions(drifted, reference(t), options),
      VOLUME_IN("status").map((where) => ({
        where,
        problem: 'enum ["available","creating","deleting"], reference ["available","creating"]',
      })),
    );
  });

  test("a required field made optional", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "VolumeAttach"]).required = [];
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t), options), [
      {
        where: "POST /volumes/{id}/actions/attach request body.server",
        problem: "required false, reference true",
      },
    ]);
  });

  test("a status code Hetzner does not declare", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["paths", "/volumes/{id}", "delete", "responses"])["200"] = {
        $ref: "#/components/responses/action",
      };
    });
    assert.deepEqual(compareDescriptions(drifted, reference(t), options), [
      { where: "DELETE /volumes/{id} 200", problem: "status not declared by the reference" },
    ]);
  });

  test("an error body whose shape changed", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "ErrorResponse", "properties", "error", "properties"]).id = {
        type: "string",
      };
    });
    const mismatches = compareDescriptions(drifted, reference(t), options);
    const errorStatuses = operationsOf(ours).length * 2;
    assert.equal(mismatches.length, errorStatuses);
    for (const m of mismatches) {
      assert.match(m.where, / [45]XX body\.error\.id$/);
      assert.equal(m.problem, "field not in the reference");
    }
  });

  test("a response example that no longer decodes", (t) => {
    const drifted = mutated(ours, (raw) => {
      at(raw, ["components", "schemas", "Action", "properties", "progress"]).type = "string";
    });
    const failing = checkResponseExamples(drifted, reference(t)).filter((v) => v.ours.length > 0);
    assert.deepEqual(
      failing.map((v) => v.where),
      [
        "POST /volumes 201 examples.default",
        "POST /volumes/{id}/actions/attach 201 examples.default",
        "POST /volumes/{id}/actions/detach 201 examples.default",
        "POST /volumes/{id}/actions/resize 201 examples.default",
      ],
    );
  });
});
