import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { allowedZones, chooseZone } from "../../src/controller/topology.js";

const OWN = "topology.block.csi.ballast.dev/zone";
const WELL_KNOWN = "topology.kubernetes.io/zone";
const zone = (name: string, key = OWN) => ({ segments: { [key]: name } });
const openZones = ["z1", "z2", "z3"];

describe("chooseZone", () => {
  test("takes the first preferred zone", () => {
    const requirement = { requisite: [zone("z1"), zone("z2")], preferred: [zone("z2"), zone("z1")] };
    assert.equal(chooseZone({ requirement, openZones }), "z2");
  });

  test("takes the first requisite zone when nothing is preferred", () => {
    assert.equal(
      chooseZone({ requirement: { requisite: [zone("z3"), zone("z1")], preferred: [] }, openZones }),
      "z3",
    );
  });

  test("accepts the well-known zone key", () => {
    const requirement = { requisite: [], preferred: [zone("z2", WELL_KNOWN)] };
    assert.equal(chooseZone({ requirement, openZones }), "z2");
  });

  test("skips zones the cloud does not have", () => {
    const requirement = { requisite: [zone("nowhere"), zone("z3")], preferred: [] };
    assert.equal(chooseZone({ requirement, openZones }), "z3");
  });

  test("a requisite zone the cloud does not have is ResourceExhausted naming the zones", () => {
    const requirement = { requisite: [zone("nowhere")], preferred: [] };
    assert.throws(() => chooseZone({ requirement, openZones }), {
      kind: "ResourceExhausted",
      message:
        "accessibility_requirements: none of the zones nowhere exists and accepts new volumes (those that do: z1, z2, z3)",
    });
  });

  test("preferred zones the cloud does not have, with no requisite, are ResourceExhausted", () => {
    const requirement = { requisite: [], preferred: [zone("nowhere"), zone("elsewhere")] };
    assert.throws(() => chooseZone({ requirement, openZones }), { kind: "ResourceExhausted" });
  });

  test("without requirements uses the default zone", () => {
    assert.equal(chooseZone({ requirement: undefined, openZones, defaultZone: "z2" }), "z2");
  });

  test("without requirements or default uses the cloud's first zone", () => {
    assert.equal(chooseZone({ requirement: undefined, openZones }), "z1");
  });

  test("without requirements in a cloud whose zones all refuse new volumes is ResourceExhausted", () => {
    assert.throws(() => chooseZone({ requirement: undefined, openZones: [] }), {
      kind: "ResourceExhausted",
      message: "accessibility_requirements: no zone of the cloud accepts new volumes",
    });
  });

  test("a segment without a zone key is InvalidArgument", () => {
    const requirement = { requisite: [{ segments: { "kubernetes.io/hostname": "n" } }], preferred: [] };
    assert.throws(() => chooseZone({ requirement, openZones }), { kind: "InvalidArgument" });
  });

  test("a source's zone wins when it is allowed", () => {
    const requirement = { requisite: [zone("z1"), zone("z2")], preferred: [zone("z1")] };
    assert.equal(chooseZone({ requirement, openZones, sourceZone: "z2" }), "z2");
  });

  test("a source outside the requisite zones is ResourceExhausted naming the source and its zone", () => {
    const requirement = { requisite: [zone("z1")], preferred: [] };
    assert.throws(
      () => chooseZone({ requirement, openZones, sourceZone: "z3", sourceDescription: "source volume v" }),
      {
        kind: "ResourceExhausted",
        message:
          "accessibility_requirements: source volume v is in zone z3, which is not among the allowed zones z1; clones and restores stay in their source's zone",
      },
    );
  });

  test("a source with a requirement lacking a zone segment is InvalidArgument", () => {
    const requirement = { requisite: [{ segments: { "kubernetes.io/hostname": "n" } }], preferred: [] };
    assert.throws(() => chooseZone({ requirement, openZones, sourceZone: "z1" }), {
      kind: "InvalidArgument",
    });
  });
});

describe("allowedZones", () => {
  test("preferred zones outside the requisite list are dropped", () => {
    assert.deepEqual(allowedZones({ requisite: [zone("z1")], preferred: [zone("z2"), zone("z1")] }), ["z1"]);
  });

  test("both keys naming different zones is InvalidArgument", () => {
    const requirement = { requisite: [{ segments: { [OWN]: "z1", [WELL_KNOWN]: "z2" } }], preferred: [] };
    assert.throws(() => allowedZones(requirement), { kind: "InvalidArgument" });
  });
});
