import type {
  Attachment,
  Instance,
  Snapshot,
  Volume,
  VolumeType,
  Zone,
} from "../../controller/block-storage.js";
import { BallastError } from "../../shared/errors.js";
import type { DoDroplet, DoRegion, DoSnapshot, DoVolume } from "./client.js";
import { devicePathOf } from "./device-locator.js";
import { GIB, MAX_VOLUME_GIB, MAX_VOLUMES_PER_DROPLET, MIN_VOLUME_GIB } from "./names.js";
import { readTags, readVolumeTags } from "./tags.js";

/**
 * The regions the description's `RegionSlug` allows, each a zone of Ballast's topology. A record
 * over the generated type, so a region added to the description and missing here fails to compile.
 */
const REGION_SET: Record<DoRegion, true> = {
  ams1: true,
  ams2: true,
  ams3: true,
  blr1: true,
  fra1: true,
  lon1: true,
  nyc1: true,
  nyc2: true,
  nyc3: true,
  sfo1: true,
  sfo2: true,
  sfo3: true,
  sgp1: true,
  tor1: true,
  syd1: true,
};
export const DIGITALOCEAN_REGIONS = Object.keys(REGION_SET) as DoRegion[];

export function isRegion(zone: string): zone is DoRegion {
  return Object.hasOwn(REGION_SET, zone);
}

/** DigitalOcean has one kind of volume; the controller's catalog needs a name for it. */
export const DIGITALOCEAN_VOLUME_TYPE = "do-block-storage";

export const DIGITALOCEAN_VOLUME_TYPES: VolumeType[] = [
  {
    name: DIGITALOCEAN_VOLUME_TYPE,
    minSizeBytes: MIN_VOLUME_GIB * GIB,
    maxSizeBytes: MAX_VOLUME_GIB * GIB,
    sizeGranularityBytes: GIB,
    supportsEncryption: false,
    multiAttach: false,
  },
];

export const DIGITALOCEAN_ZONES: Zone[] = DIGITALOCEAN_REGIONS.map((name) => ({ name, available: true }));

/**
 * DigitalOcean has no read-only attachment (a read-only publish is mounted read-only by the node)
 * and no attachment states: `droplet_ids` names the droplet once the attach action completed.
 */
export function attachmentOf(volumeName: string, dropletId: number, readOnly = false): Attachment {
  return {
    instanceId: String(dropletId),
    serial: "",
    byIdPath: devicePathOf(volumeName),
    state: "attached",
    readOnly,
  };
}

/** The fields the driver cannot do without; the description makes every one optional. */
function required<T>(what: string, value: T | undefined): T {
  if (value === undefined) {
    throw new BallastError("Internal", `DigitalOcean answered a volume without ${what}`);
  }
  return value;
}

export function toVolume(volume: DoVolume): Volume {
  const name = required("name", volume.name);
  const droplets = volume.droplet_ids ?? [];
  const { tags, sourceSnapshotId } = readVolumeTags(volume.tags, volume.description);
  return {
    id: required("id", volume.id),
    name,
    sizeBytes: required("size_gigabytes", volume.size_gigabytes) * GIB,
    zone: volume.region?.slug ?? "",
    type: DIGITALOCEAN_VOLUME_TYPE,
    encrypted: false,
    tags,
    sourceSnapshotId,
    // DigitalOcean's volumes have no status: a create answers once the volume exists.
    status: droplets.length > 0 ? "in-use" : "available",
    attachments: droplets.map((droplet) => attachmentOf(name, droplet)),
  };
}

/**
 * A volume snapshot is taken when DigitalOcean answers the create, so it is ready at once. Its size
 * is `min_disk_size`, the least a volume restored from it can have (`size_gigabytes` is what is
 * billed, and may be less).
 */
export function toSnapshot(snapshot: DoSnapshot): Snapshot {
  return {
    id: snapshot.id,
    name: snapshot.name,
    sourceVolumeId: snapshot.resource_id,
    sizeBytes: snapshot.min_disk_size * GIB,
    status: "available",
    readyToUse: true,
    encrypted: false,
    createdAt: snapshot.created_at,
    tags: readTags(snapshot.tags),
  };
}

export function toInstance(droplet: DoDroplet): Instance {
  return {
    id: String(droplet.id),
    name: droplet.name,
    zone: droplet.region.slug,
    maxAttachedVolumes: MAX_VOLUMES_PER_DROPLET,
    attachedVolumeIds: [...droplet.volume_ids],
  };
}
