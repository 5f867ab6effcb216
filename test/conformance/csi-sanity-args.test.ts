import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Advertised } from "./capabilities.js";
import { ControllerCapability, ServiceType } from "./capabilities.js";
import type { CloudVolumeType } from "./cloud-api.js";
import { mutableParametersFor, parametersYaml, sanityArgs, suiteBugsFor } from "./csi-sanity-args.js";
import { selectedFaces } from "./faces.js";

const GiB = 1024n ** 3n;

function advertising(...controller: ControllerCapability[]): Advertised {
  return { controller: new Set(controller), services: new Set([ServiceType.CONTROLLER_SERVICE]) };
}

const type = (name: string, minGiB: number, maxGiB: number): CloudVolumeType => ({
  name,
  minSizeBytes: minGiB * 1024 ** 3,
  maxSizeBytes: maxGiB * 1024 ** 3,
  sizeGranularityBytes: 1024 ** 3,
  multiAttach: false,
});

describe("csi-sanity's command line per face", () => {
  test("the GET_SNAPSHOT capability spec is skipped only for a driver that advertises GET_SNAPSHOT", () => {
    assert.deepEqual(suiteBugsFor(advertising(ControllerCapability.GET_SNAPSHOT)), [
      "ControllerGetCapabilities should return appropriate capabilities",
    ]);
    assert.deepEqual(suiteBugsFor(advertising(ControllerCapability.CREATE_DELETE_VOLUME)), []);
  });

  test("without MODIFY_VOLUME there are no mutable parameters, whatever types the cloud has", () => {
    const types = [type("standard", 1, 16_384), type("balanced", 1, 16_384)];
    assert.equal(mutableParametersFor(advertising(), types, "balanced", GiB), undefined);
  });

  test("with MODIFY_VOLUME the mutable type is another type than the default that holds the test volume", () => {
    const types = [type("balanced", 1, 16_384), type("archive", 500, 16_384), type("performance", 4, 16_384)];
    assert.deepEqual(
      mutableParametersFor(advertising(ControllerCapability.MODIFY_VOLUME), types, "balanced", 10n * GiB),
      { type: "performance" },
    );
  });

  test("parameter files are YAML maps with quoted values", () => {
    assert.equal(parametersYaml({ type: "performance" }), 'type: "performance"\n');
  });

  test("sizes, attach limit, mutable parameters and skips make the arguments", () => {
    assert.deepEqual(
      sanityArgs({
        socket: "/tmp/s/csi.sock",
        kubeletDir: "/tmp/s/kubelet",
        volumeBytes: 10n * GiB,
        expandBytes: 11n * GiB,
        mutableParametersFile: "/tmp/s/mutable.yaml",
        skip: ["ControllerGetCapabilities should return appropriate capabilities", "a.b (c)"],
      }),
      [
        "--csi.endpoint=/tmp/s/csi.sock",
        "--csi.mountdir=/tmp/s/kubelet/csi-sanity-target",
        "--csi.stagingdir=/tmp/s/kubelet/csi-sanity-staging",
        "--csi.testvolumesize=10737418240",
        "--csi.testvolumeexpandsize=11811160064",
        "--csi.testnodevolumeattachlimit",
        "--csi.testvolumemutableparameters=/tmp/s/mutable.yaml",
        "--ginkgo.skip=ControllerGetCapabilities should return appropriate capabilities|a\\.b \\(c\\)",
      ],
    );
  });

  test("without mutable parameters or skips neither flag is passed", () => {
    const args = sanityArgs({
      socket: "/s",
      kubeletDir: "/k",
      volumeBytes: GiB,
      expandBytes: 2n * GiB,
      skip: [],
    });
    assert.equal(
      args.some(
        (arg) => arg.startsWith("--csi.testvolumemutableparameters") || arg.startsWith("--ginkgo.skip"),
      ),
      false,
    );
  });
});

describe("which faces the suite runs on", () => {
  test("all three by default", () => {
    assert.deepEqual(selectedFaces({}), ["ballast", "digitalocean", "hetzner"]);
  });

  test("$BALLAST_CONFORMANCE_FACES picks some, in the suite's order", () => {
    assert.deepEqual(selectedFaces({ BALLAST_CONFORMANCE_FACES: "hetzner, ballast" }), [
      "ballast",
      "hetzner",
    ]);
  });

  test("an unknown face in $BALLAST_CONFORMANCE_FACES is an error naming it", () => {
    assert.throws(() => selectedFaces({ BALLAST_CONFORMANCE_FACES: "aws" }), /"aws" is not a face/);
  });
});
