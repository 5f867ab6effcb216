import { type Advertised, ControllerCapability } from "./capabilities.js";
import type { CloudVolumeType } from "./cloud-api.js";

/**
 * Specs the suite itself gets wrong. csi-sanity v5.4.0 fails any driver that advertises the
 * GET_SNAPSHOT capability (its list of known capabilities predates it); the hostpath reference
 * driver fails it too. Keyed by the capability that triggers the bug, so a driver that does not
 * advertise it runs the spec.
 */
const SUITE_BUGS: ReadonlyArray<{ capability: ControllerCapability; spec: string }> = [
  {
    capability: ControllerCapability.GET_SNAPSHOT,
    spec: "ControllerGetCapabilities should return appropriate capabilities",
  },
];

export function suiteBugsFor(advertised: Advertised): string[] {
  return SUITE_BUGS.filter((bug) => advertised.controller.has(bug.capability)).map((bug) => bug.spec);
}

/**
 * The mutable parameters csi-sanity's ModifyVolume specs send, or undefined when the driver does
 * not advertise MODIFY_VOLUME (the specs are skipped, and a cloud without tiers would refuse
 * `type` anyway): another volume type than the default that can hold the test volume.
 */
export function mutableParametersFor(
  advertised: Advertised,
  types: readonly CloudVolumeType[],
  defaultType: string,
  volumeBytes: bigint,
): Record<string, string> | undefined {
  if (!advertised.controller.has(ControllerCapability.MODIFY_VOLUME)) return undefined;
  const fits = (type: CloudVolumeType) =>
    BigInt(type.minSizeBytes) <= volumeBytes && volumeBytes <= BigInt(type.maxSizeBytes);
  const other = types.find((type) => type.name !== defaultType && fits(type));
  return { type: (other ?? types.find(fits))?.name ?? defaultType };
}

/** csi-sanity reads parameter files as YAML maps; the values are plain words, quoted anyway. */
export function parametersYaml(parameters: Readonly<Record<string, string>>): string {
  return Object.entries(parameters)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}\n`)
    .join("");
}

export interface SanityRun {
  /** The dev system's socket path (no `unix://`). */
  socket: string;
  kubeletDir: string;
  /** The size csi-sanity gives its volumes, and the size it expands them to. */
  volumeBytes: bigint;
  expandBytes: bigint;
  /** A YAML file of mutable parameters, when ModifyVolume specs are to run. */
  mutableParametersFile?: string | undefined;
  skip: readonly string[];
}

/** The command line for one csi-sanity run against one face's `ballast dev`. */
export function sanityArgs(run: SanityRun): string[] {
  return [
    `--csi.endpoint=${run.socket}`,
    `--csi.mountdir=${run.kubeletDir}/csi-sanity-target`,
    `--csi.stagingdir=${run.kubeletDir}/csi-sanity-staging`,
    `--csi.testvolumesize=${run.volumeBytes}`,
    `--csi.testvolumeexpandsize=${run.expandBytes}`,
    "--csi.testnodevolumeattachlimit",
    ...(run.mutableParametersFile === undefined
      ? []
      : [`--csi.testvolumemutableparameters=${run.mutableParametersFile}`]),
    ...(run.skip.length === 0 ? [] : [`--ginkgo.skip=${run.skip.map(escapeRegExp).join("|")}`]),
  ];
}

/** ginkgo.skip is a regular expression; spec names are matched literally. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
