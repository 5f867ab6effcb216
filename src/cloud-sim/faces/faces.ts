import { DEFAULT_VOLUME_TYPES, DEFAULT_ZONES } from "../config.js";
import { DEFAULT_ATTACH_LIMITS } from "../engine/index.js";
import { newId } from "../ids.js";
import { digitalOceanFace } from "./digitalocean/face.js";
import type { ApiName, Face } from "./face.js";
import { hetznerFace } from "./hetzner/face.js";

/** Ballast's own API: its HTTP front also serves the admin routes, so it is the face's listener. */
const ballastFace: Face = {
  api: "ballast",
  basePath: "",
  defaultZones: DEFAULT_ZONES,
  volumeTypes: DEFAULT_VOLUME_TYPES,
  newId: () => newId,
  ownsId: (kind, id) => kind === "instance" || id.startsWith("vol-"),
  attachLimits: DEFAULT_ATTACH_LIMITS,
  linkName: (volume) => `virtio-${volume.id}`,
  listener: (context) => context.admin,
};

const FACES: Record<ApiName, Face> = {
  ballast: ballastFace,
  digitalocean: digitalOceanFace,
  hetzner: hetznerFace,
};

export function faceFor(api: ApiName): Face {
  return FACES[api];
}
