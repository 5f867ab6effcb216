import type { RequestOptions } from "../../cloud/call-runner.js";
import type { Attachment, BlockStorage, CreateVolumeInput, Volume } from "../../controller/block-storage.js";
import {
  BallastError,
  failedPrecondition,
  invalidArgument,
  notFound,
  outOfRange,
  resourceExhausted,
} from "../../shared/errors.js";
import type { DigitalOceanClient, DoRegion, DoVolume } from "./client.js";
import { isStatus, mapped, PROVIDER_LABEL } from "./error-mapping.js";
import {
  digitalOceanName,
  dropletId,
  GIB,
  isUuid,
  MAX_VOLUME_GIB,
  MAX_VOLUMES_PER_DROPLET,
  MIN_VOLUME_GIB,
} from "./names.js";
import { answerLost, MAX_PER_PAGE, orUndefined, pageNumberOf, requestOptions } from "./request-options.js";
import {
  attachmentOf,
  DIGITALOCEAN_REGIONS,
  DIGITALOCEAN_VOLUME_TYPE,
  DIGITALOCEAN_VOLUME_TYPES,
  DIGITALOCEAN_ZONES,
  isRegion,
  toInstance,
  toVolume,
} from "./resources.js";
import { digitalOceanSnapshots } from "./snapshot-adapter.js";
import { hasTags, sharedTags, volumeDescription } from "./tags.js";

const unimplemented = (what: string) =>
  new BallastError("Unimplemented", `${what}: provider digitalocean (${PROVIDER_LABEL}) has no such feature`);

/** Names and regions of volumes the adapter has seen; they never change, so an attach needs no read. */
const KNOWN_VOLUMES_LIMIT = 4_096;

function sizeInGib(field: string, sizeBytes: number): number {
  const gib = Math.max(MIN_VOLUME_GIB, Math.ceil(sizeBytes / GIB));
  if (gib > MAX_VOLUME_GIB) {
    throw outOfRange(
      `${field}: ${sizeBytes} bytes is ${gib} GiB, more than the ${MAX_VOLUME_GIB} GiB a ${PROVIDER_LABEL} volume can have`,
    );
  }
  return gib;
}

/** Refuses what DigitalOcean volumes cannot be, before any call; the CSI layer refuses most of it first. */
function checkCreateInput(input: CreateVolumeInput): DoRegion {
  if (!isRegion(input.zone)) {
    throw invalidArgument(
      `accessibility_requirements: zone ${JSON.stringify(input.zone)} is not a ${PROVIDER_LABEL} region (${DIGITALOCEAN_REGIONS.join(", ")})`,
    );
  }
  if (input.type !== DIGITALOCEAN_VOLUME_TYPE) {
    throw invalidArgument(
      `parameters.type: ${JSON.stringify(input.type)} is not a ${PROVIDER_LABEL} volume type (only ${DIGITALOCEAN_VOLUME_TYPE})`,
    );
  }
  const refused: [string, unknown][] = [
    ["parameters.iops", input.iops],
    ["parameters.throughput", input.throughput],
    ["parameters.kmsKeyId", input.kmsKeyId],
  ];
  for (const [field, value] of refused) {
    if (value !== undefined) throw invalidArgument(`${field}: not offered by ${PROVIDER_LABEL}`);
  }
  if (input.encrypted)
    throw invalidArgument(`parameters.encrypted: "true" is not offered by ${PROVIDER_LABEL}`);
  if (input.sourceVolumeId !== undefined) {
    throw invalidArgument(`volume_content_source.volume: ${PROVIDER_LABEL} cannot clone a volume`);
  }
  return input.zone;
}

export interface DigitalOceanBlockStorageOptions {
  now?: () => number;
}

/**
 * The controller's BlockStorage port over DigitalOcean's volumes. DigitalOcean has no idempotency
 * keys, so a create is made idempotent by the name, which is unique in a region: a create that
 * lost its answer, or that is refused because the name is taken (409, 422), returns the volume
 * found by name in the region. Attach, detach and resize poll their action; "already attached
 * here" and "already detached" are success. Volume ids are UUIDs and droplet ids integers; any
 * other id is answered "does not exist" without a call.
 */
export function digitalOceanBlockStorage(
  client: DigitalOceanClient,
  options: DigitalOceanBlockStorageOptions = {},
): BlockStorage {
  const now = options.now ?? Date.now;
  const known = new Map<string, { name: string; region: DoRegion | undefined }>();
  const remember = (volume: DoVolume): Volume => {
    const result = toVolume(volume);
    known.delete(result.id);
    known.set(result.id, { name: result.name, region: isRegion(result.zone) ? result.zone : undefined });
    if (known.size > KNOWN_VOLUMES_LIMIT) known.delete(known.keys().next().value as string);
    return result;
  };
  const volumeIdOf = (field: string, id: string): string => {
    if (!isUuid(id)) throw notFound(`${field}: volume ${id} does not exist`);
    return id;
  };

  const findByName = async (
    name: string,
    region: DoRegion | undefined,
    request: RequestOptions,
  ): Promise<DoVolume | undefined> => {
    const { items } = await client.listVolumes(
      { name: digitalOceanName(name), region, perPage: region === undefined ? MAX_PER_PAGE : 1 },
      request,
    );
    return items[0];
  };

  const createVolume = async (input: CreateVolumeInput, region: DoRegion, request: RequestOptions) => {
    const body = {
      name: digitalOceanName(input.name),
      size_gigabytes: sizeInGib("capacity_range", input.sizeBytes),
      region,
      tags: sharedTags("tags", input.tags),
      ...optional("description", volumeDescription(input.tags, input.sourceSnapshotId)),
      ...optional("snapshot_id", input.sourceSnapshotId),
    };
    try {
      return remember(await client.createVolume(body, request));
    } catch (error) {
      if (!(isStatus(error, 409, 422) || answerLost(error))) throw error;
      const existing = await findByName(input.name, region, request);
      if (existing === undefined) throw error;
      return remember(existing);
    }
  };

  /** The volume's name and region, from what the adapter saw or from DigitalOcean. */
  const nameOf = async (volumeId: string, request: RequestOptions) => {
    const seen = known.get(volumeId);
    if (seen !== undefined) return { ...seen, volume: undefined };
    const volume = await orUndefined(client.getVolume(volumeId, request));
    if (volume === undefined) throw notFound(`volume_id: volume ${volumeId} does not exist`);
    const read = remember(volume);
    return { name: read.name, region: known.get(volumeId)?.region, volume: read };
  };

  /** Words a refused attach from the volume and the droplet as they are now; undefined when it was done. */
  const explainAttachRefusal = async (
    volumeId: string,
    droplet: number,
    error: unknown,
    request: RequestOptions,
  ): Promise<unknown> => {
    const found = await orUndefined(client.getVolume(volumeId, request));
    if (found === undefined) return notFound(`volume_id: volume ${volumeId} does not exist`);
    const volume = remember(found);
    const holders = volume.attachments.map((a) => a.instanceId);
    if (holders.includes(String(droplet))) return undefined;
    if (holders.length > 0) {
      return failedPrecondition(
        `volume_id: volume ${volumeId} is attached to droplet ${holders.join(", ")}; ${PROVIDER_LABEL} attaches a volume to one droplet`,
      );
    }
    const target = await orUndefined(client.getDroplet(droplet, request));
    if (target === undefined) return notFound(`node_id: node ${droplet} does not exist`);
    if (target.region.slug !== volume.zone) {
      return failedPrecondition(
        `node_id: droplet ${droplet} is in region ${target.region.slug}, volume ${volumeId} in ${volume.zone}; ${PROVIDER_LABEL} attaches a volume only to droplets of its region`,
      );
    }
    if (target.volume_ids.length >= MAX_VOLUMES_PER_DROPLET) {
      return resourceExhausted(
        `node_id: droplet ${droplet} already has ${target.volume_ids.length} volumes attached, the most ${PROVIDER_LABEL} allows (${MAX_VOLUMES_PER_DROPLET})`,
      );
    }
    return error;
  };

  const attach = async (volumeId: string, droplet: number, readOnly: boolean, request: RequestOptions) => {
    const { name, region, volume } = await nameOf(volumeId, request);
    const here = volume?.attachments.find((a) => a.instanceId === String(droplet));
    if (here !== undefined) return { ...here, readOnly };
    try {
      const body = { type: "attach" as const, droplet_id: droplet, ...optional("region", region) };
      await client.waitForAction(volumeId, await client.postVolumeAction(volumeId, body, request), request);
    } catch (error) {
      const refusal = await explainAttachRefusal(volumeId, droplet, error, request);
      if (refusal !== undefined) throw refusal;
    }
    return attachmentOf(name, droplet, readOnly);
  };

  const detach = async (volumeId: string, droplet: number, request: RequestOptions) => {
    const attachedHere = async () => {
      const volume = await orUndefined(client.getVolume(volumeId, request));
      return volume?.droplet_ids?.includes(droplet) === true;
    };
    try {
      const region = known.get(volumeId)?.region;
      const body = { type: "detach" as const, droplet_id: droplet, ...optional("region", region) };
      await client.waitForAction(volumeId, await client.postVolumeAction(volumeId, body, request), request);
    } catch (error) {
      // Not attached (422), or the volume or droplet gone (404): nothing is attached there.
      if (await attachedHere()) throw error;
    }
  };

  const resize = async (volumeId: string, sizeBytes: number, request: RequestOptions) => {
    const gib = sizeInGib("capacity_range", sizeBytes);
    const volume = await orUndefined(client.getVolume(volumeId, request));
    if (volume === undefined) throw notFound(`volume_id: volume ${volumeId} does not exist`);
    // DigitalOcean volumes only grow: a size at or below the current one is already satisfied.
    if (gib <= (volume.size_gigabytes ?? 0)) return remember(volume);
    try {
      const region = volume.region?.slug;
      const body = {
        type: "resize" as const,
        size_gigabytes: gib,
        ...optional("region", region !== undefined && isRegion(region) ? region : undefined),
      };
      await client.waitForAction(volumeId, await client.postVolumeAction(volumeId, body, request), request);
    } catch (error) {
      // A repeated resize is refused once the first one took effect.
      const now = await orUndefined(client.getVolume(volumeId, request));
      if (now === undefined || (now.size_gigabytes ?? 0) < gib) throw error;
      return remember(now);
    }
    return remember({ ...volume, size_gigabytes: gib });
  };

  return {
    async createVolume(input, options) {
      const region = checkCreateInput(input);
      return mapped(createVolume(input, region, requestOptions(options, now)));
    },
    async getVolume(id, options) {
      if (!isUuid(id)) return undefined;
      const volume = await mapped(orUndefined(client.getVolume(id, requestOptions(options, now))));
      return volume && remember(volume);
    },
    async findVolumeByName(name, options) {
      const volume = await mapped(findByName(name, undefined, requestOptions(options, now)));
      return volume && remember(volume);
    },
    async listVolumes(page, options) {
      const number = pageNumberOf(page.pageToken);
      const { items, hasNext } = await mapped(
        client.listVolumes(
          { page: number, perPage: Math.min(page.limit ?? MAX_PER_PAGE, MAX_PER_PAGE) },
          requestOptions(options, now),
        ),
      );
      // The description has no tag filter for volumes: the page is filtered here, so it may be short.
      const volumes = items
        .map(remember)
        .filter((v) => page.tags === undefined || hasTags(v.tags, page.tags));
      return { items: volumes, nextPageToken: hasNext ? String(number + 1) : undefined };
    },
    async deleteVolume(id, options) {
      if (!isUuid(id)) return;
      try {
        await mapped(orUndefined(client.deleteVolume(id, requestOptions(options, now))));
      } catch (error) {
        // DigitalOcean refuses to delete an attached volume; the CSI spec calls that a precondition.
        if (
          !(error instanceof BallastError && ["AlreadyExists", "FailedPrecondition"].includes(error.kind))
        ) {
          throw error;
        }
        throw failedPrecondition(`volume_id: volume ${id} cannot be deleted now: ${error.message}`);
      }
      known.delete(id);
    },
    async resizeVolume(id, sizeBytes, options) {
      const volumeId = volumeIdOf("volume_id", id);
      return mapped(resize(volumeId, sizeBytes, requestOptions(options, now)));
    },
    async modifyVolume() {
      throw unimplemented("mutable_parameters");
    },
    async attachVolume(volumeId, instanceId, input, options): Promise<Attachment> {
      const volume = volumeIdOf("volume_id", volumeId);
      const droplet = dropletId(instanceId);
      if (droplet === undefined) throw notFound(`node_id: node ${instanceId} does not exist`);
      return mapped(attach(volume, droplet, input.readOnly, requestOptions(options, now)));
    },
    async detachVolume(volumeId, instanceId, options) {
      const droplet = dropletId(instanceId);
      if (!isUuid(volumeId) || droplet === undefined) return;
      await mapped(detach(volumeId, droplet, requestOptions(options, now)));
    },
    ...digitalOceanSnapshots(client, now),
    async getInstance(id, options) {
      const droplet = dropletId(id);
      if (droplet === undefined) return undefined;
      const found = await mapped(orUndefined(client.getDroplet(droplet, requestOptions(options, now))));
      return found && toInstance(found);
    },
    async listZones() {
      return DIGITALOCEAN_ZONES.map((zone) => ({ ...zone }));
    },
    async probe(options) {
      // Zones are a fixed list here, so readiness asks for the smallest page the token can read.
      await mapped(client.listVolumes({ perPage: 1 }, requestOptions(options, now)));
    },
    async listVolumeTypes() {
      return DIGITALOCEAN_VOLUME_TYPES.map((type) => ({ ...type }));
    },
    async getCapacity() {
      throw unimplemented("GetCapacity");
    },
    close: () => client.close(),
  };
}

/** `{ [key]: value }` when there is a value, else nothing: DigitalOcean's optional fields stay unsent. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
