import type { Attachment, Instance, Volume, VolumeType, Zone } from "../../controller/block-storage.js";
import type { HetznerServer, HetznerVolume } from "./client.js";
import { devicePathOf } from "./device-locator.js";
import { decodeLabels } from "./labels.js";
import { GIB, MAX_VOLUME_GB, MIN_VOLUME_GB } from "./names.js";

/** Hetzner allows at most this many volumes on one server. */
export const MAX_VOLUMES_PER_SERVER = 16;

/** Hetzner's locations; each is a zone of Ballast's topology. */
export const HETZNER_LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"] as const;

/** Hetzner has one kind of volume; the controller's catalog needs a name for it. */
export const HETZNER_VOLUME_TYPE = "hcloud-volume";

export const HETZNER_VOLUME_TYPES: VolumeType[] = [
  {
    name: HETZNER_VOLUME_TYPE,
    minSizeBytes: MIN_VOLUME_GB * GIB,
    maxSizeBytes: MAX_VOLUME_GB * GIB,
    sizeGranularityBytes: GIB,
    supportsEncryption: false,
    multiAttach: false,
  },
];

export const HETZNER_ZONES: Zone[] = HETZNER_LOCATIONS.map((name) => ({ name, available: true }));

/**
 * Hetzner has no read-only attachment (a read-only publish is mounted read-only by the node) and
 * no attachment states: `server` is set once the attach action finished.
 */
export function attachmentOf(volumeId: string, serverId: number, readOnly = false): Attachment {
  return {
    instanceId: String(serverId),
    serial: "",
    byIdPath: devicePathOf(volumeId),
    state: "attached",
    readOnly,
  };
}

export function toVolume(volume: HetznerVolume): Volume {
  const id = String(volume.id);
  const attached = volume.server !== null && volume.server !== undefined;
  return {
    id,
    name: volume.name,
    sizeBytes: volume.size * GIB,
    zone: volume.location.name,
    type: HETZNER_VOLUME_TYPE,
    encrypted: false,
    tags: decodeLabels(volume.labels),
    status: volume.status === "creating" ? "creating" : attached ? "in-use" : "available",
    attachments: attached ? [attachmentOf(id, volume.server as number)] : [],
  };
}

export function toInstance(server: HetznerServer): Instance {
  return {
    id: String(server.id),
    name: server.name,
    zone: server.location.name,
    maxAttachedVolumes: MAX_VOLUMES_PER_SERVER,
    attachedVolumeIds: (server.volumes ?? []).map(String),
  };
}
