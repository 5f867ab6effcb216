import { describe } from "node:test";
import { DIGITALOCEAN_VOLUME_TYPE } from "../../src/providers/digitalocean/resources.js";
import { HETZNER_VOLUME_TYPE } from "../../src/providers/hetzner/resources.js";
import { PROVIDER_NAMES, type ProviderName } from "../../src/providers/provider.js";
import { loadProvider } from "../../src/providers/registry.js";

/** The APIs the reference cloud serves, each driven by the provider of the same name. */
export const FACES: readonly ProviderName[] = PROVIDER_NAMES;
export type FaceName = ProviderName;

/**
 * What differs between the faces and is a fact of the cloud, not a capability: the shape of its
 * ids and the volume type a volume gets when the StorageClass names none. Capabilities are never
 * read from here; tests ask the driver (ControllerGetCapabilities), as csi-sanity does.
 */
export interface FaceFacts {
  /** The driver's name for the type of a volume created without parameters (`ballast dev` asks for balanced). */
  readonly defaultVolumeType: string;
  /** Ids in the cloud's own format that name nothing there. */
  readonly unknownVolumeId: string;
  readonly unknownSnapshotId: string;
  readonly unknownNodeId: string;
  /** The whole id, anchored. */
  readonly volumeIdPattern: RegExp;
  readonly nodeIdPattern: RegExp;
  /** The serial ControllerPublishVolume must hand the node, when the provider derives one from the volume id. */
  readonly deviceSerial: ((volumeId: string) => string) | undefined;
}

/** Integer ids the faces never issue: they draw theirs from 10,000,000 upwards. */
const UNUSED_INTEGER_ID = "999";
const UNUSED_UUID = "00000000-0000-4000-8000-00000000dead";

const STATIC_FACTS: Record<FaceName, Omit<FaceFacts, "deviceSerial">> = {
  ballast: {
    defaultVolumeType: "balanced",
    unknownVolumeId: "vol-00000000deadbeef",
    unknownSnapshotId: "snap-00000000deadbeef",
    unknownNodeId: "i-00000000deadbeef",
    volumeIdPattern: /^vol-[0-9a-f]{16}$/,
    nodeIdPattern: /^i-[0-9a-f]{16}$/,
  },
  digitalocean: {
    defaultVolumeType: DIGITALOCEAN_VOLUME_TYPE,
    unknownVolumeId: UNUSED_UUID,
    unknownSnapshotId: UNUSED_UUID,
    unknownNodeId: UNUSED_INTEGER_ID,
    volumeIdPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    nodeIdPattern: /^[1-9][0-9]*$/,
  },
  hetzner: {
    defaultVolumeType: HETZNER_VOLUME_TYPE,
    unknownVolumeId: UNUSED_INTEGER_ID,
    unknownSnapshotId: UNUSED_INTEGER_ID,
    unknownNodeId: UNUSED_INTEGER_ID,
    volumeIdPattern: /^[1-9][0-9]*$/,
    nodeIdPattern: /^[1-9][0-9]*$/,
  },
};

export async function faceFacts(face: FaceName): Promise<FaceFacts> {
  const provider = await loadProvider(face);
  return { ...STATIC_FACTS[face], deviceSerial: provider.deviceLocator.deviceSerial };
}

/**
 * The faces the suite runs on: all three by default, or those named in
 * `$BALLAST_CONFORMANCE_FACES` (comma-separated), to run one face while working on it.
 */
export function selectedFaces(env: Readonly<Record<string, string | undefined>> = process.env): FaceName[] {
  const wanted = env.BALLAST_CONFORMANCE_FACES;
  if (wanted === undefined || wanted.trim() === "") return [...FACES];
  const names = wanted.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!FACES.includes(name as FaceName)) {
      throw new Error(`BALLAST_CONFORMANCE_FACES: "${name}" is not a face (${FACES.join(", ")})`);
    }
  }
  return FACES.filter((face) => names.includes(face));
}

/** One `describe` per face, titled `<title> (<face> face)`, so a file's specs run on every face. */
export function forEachFace(title: string, body: (face: FaceName) => void): void {
  for (const face of selectedFaces()) {
    describe(`${title} (${face} face)`, () => body(face));
  }
}
