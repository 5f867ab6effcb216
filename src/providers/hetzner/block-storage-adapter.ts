import { CloudDeadlineError, CloudGaveUpError, CloudTransportError } from "../../cloud/call-errors.js";
import type { RequestOptions } from "../../cloud/call-runner.js";
import type {
  BlockStorage,
  CreateVolumeInput,
  Instance,
  OperationOptions,
  Volume,
} from "../../controller/block-storage.js";
import {
  aborted,
  BallastError,
  failedPrecondition,
  invalidArgument,
  notFound,
  outOfRange,
  resourceExhausted,
} from "../../shared/errors.js";
import type { HetznerClient, HetznerVolume } from "./client.js";
import { isCode, mapped, PROVIDER_LABEL } from "./error-mapping.js";
import { encodeLabels, labelSelector } from "./labels.js";
import { GIB, hetznerId, hetznerVolumeName, MAX_VOLUME_GB, MIN_VOLUME_GB } from "./names.js";
import {
  attachmentOf,
  HETZNER_LOCATIONS,
  HETZNER_VOLUME_TYPE,
  HETZNER_VOLUME_TYPES,
  HETZNER_ZONES,
  MAX_VOLUMES_PER_SERVER,
  toInstance,
  toVolume,
} from "./resources.js";

/** Bound for calls made without a gRPC deadline (the CSI sidecars always set one). */
const DEFAULT_CALL_BUDGET_MS = 120_000;
/** Hetzner answers at most 50 items per page. */
const MAX_PER_PAGE = 50;

const unimplemented = (what: string) =>
  new BallastError("Unimplemented", `${what}: provider hetzner (${PROVIDER_LABEL}) has no such feature`);

/** undefined for a 404, the value otherwise. */
async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isCode(error, "not_found")) return undefined;
    throw error;
  }
}

/** A create whose answer was lost may have made the volume: look before giving up. */
function answerLost(error: unknown): boolean {
  return (
    error instanceof CloudTransportError ||
    error instanceof CloudGaveUpError ||
    (error instanceof CloudDeadlineError && error.detail === "request still in flight at the deadline")
  );
}

function sizeInGb(field: string, sizeBytes: number): number {
  const gb = Math.ceil(sizeBytes / GIB);
  if (gb > MAX_VOLUME_GB) {
    throw outOfRange(
      `${field}: ${sizeBytes} bytes is ${gb} GB, more than the ${MAX_VOLUME_GB} GB a ${PROVIDER_LABEL} volume can have`,
    );
  }
  return gb;
}

export interface HetznerBlockStorageOptions {
  now?: () => number;
}

/**
 * The controller's BlockStorage port over Hetzner's volumes. Hetzner has no idempotency keys, so a
 * create is made idempotent by the name, which is unique in the project: a create that lost its
 * answer, or that a concurrent create beat (`uniqueness_error`), returns the volume found by name.
 * Attach and detach poll their action; "already attached here" and "already detached" are success.
 * Ids are Hetzner's integers; any other id is answered "does not exist" without a call.
 */
export function hetznerBlockStorage(
  client: HetznerClient,
  options: HetznerBlockStorageOptions = {},
): BlockStorage {
  const now = options.now ?? Date.now;
  const call = ({ deadline, signal }: OperationOptions): RequestOptions => ({
    deadline: deadline ?? now() + DEFAULT_CALL_BUDGET_MS,
    signal,
  });
  const volumeIdOf = (field: string, id: string): number => {
    const value = hetznerId(id);
    if (value === undefined) throw notFound(`${field}: volume ${id} does not exist`);
    return value;
  };

  const findByName = async (name: string, request: RequestOptions): Promise<HetznerVolume | undefined> => {
    const { volumes } = await client.listVolumes({ name: hetznerVolumeName(name), perPage: 1 }, request);
    return volumes[0];
  };

  const createVolume = async (input: CreateVolumeInput, request: RequestOptions): Promise<Volume> => {
    const size = sizeInGb("capacity_range", input.sizeBytes);
    const body = {
      name: hetznerVolumeName(input.name),
      size: Math.max(size, MIN_VOLUME_GB),
      location: input.zone,
      labels: encodeLabels(input.tags, "tags"),
    };
    let created: Awaited<ReturnType<HetznerClient["createVolume"]>>;
    try {
      created = await client.createVolume(body, request);
    } catch (error) {
      if (!(isCode(error, "uniqueness_error") || answerLost(error))) throw error;
      const existing = await findByName(input.name, request);
      if (existing === undefined) throw error;
      return toVolume(existing);
    }
    await client.waitForAction(created.action, request);
    return toVolume({ ...created.volume, status: "available" });
  };

  const checkCreateInput = (input: CreateVolumeInput): void => {
    if (!(HETZNER_LOCATIONS as readonly string[]).includes(input.zone)) {
      throw invalidArgument(
        `accessibility_requirements: zone ${JSON.stringify(input.zone)} is not a ${PROVIDER_LABEL} location (${HETZNER_LOCATIONS.join(", ")})`,
      );
    }
    if (input.type !== HETZNER_VOLUME_TYPE) {
      throw invalidArgument(
        `parameters.type: ${JSON.stringify(input.type)} is not a ${PROVIDER_LABEL} volume type (only ${HETZNER_VOLUME_TYPE})`,
      );
    }
    if (input.encrypted)
      throw invalidArgument(`parameters.encrypted: "true" is not offered by ${PROVIDER_LABEL}`);
    if (input.sourceSnapshotId !== undefined || input.sourceVolumeId !== undefined) {
      throw invalidArgument(`volume_content_source: ${PROVIDER_LABEL} cannot create a volume from a source`);
    }
  };

  /** Words a refused attach from the volume and the server as they are now; undefined when it was done. */
  const explainAttachRefusal = async (
    volumeId: number,
    serverId: number,
    error: unknown,
    request: RequestOptions,
  ): Promise<unknown> => {
    const volume = await orUndefined(client.getVolume(volumeId, request));
    if (volume === undefined) return notFound(`volume_id: volume ${volumeId} does not exist`);
    if (volume.server === serverId) return undefined;
    if (volume.server !== null && volume.server !== undefined) {
      return failedPrecondition(
        `volume_id: volume ${volumeId} is attached to server ${volume.server}; ${PROVIDER_LABEL} attaches a volume to one server`,
      );
    }
    const server = await orUndefined(client.getServer(serverId, request));
    if (server === undefined) return notFound(`node_id: node ${serverId} does not exist`);
    const attached = server.volumes?.length ?? 0;
    if (attached >= MAX_VOLUMES_PER_SERVER) {
      return resourceExhausted(
        `node_id: server ${serverId} already has ${attached} volumes attached, the most ${PROVIDER_LABEL} allows (${MAX_VOLUMES_PER_SERVER})`,
      );
    }
    return error;
  };

  return {
    async createVolume(input, options) {
      checkCreateInput(input);
      return mapped(createVolume(input, call(options)));
    },
    async getVolume(id, options) {
      const value = hetznerId(id);
      if (value === undefined) return undefined;
      const volume = await mapped(orUndefined(client.getVolume(value, call(options))));
      return volume && toVolume(volume);
    },
    async findVolumeByName(name, options) {
      const volume = await mapped(findByName(name, call(options)));
      return volume && toVolume(volume);
    },
    async listVolumes(page, options) {
      const token = page.pageToken;
      if (token !== undefined && token !== "" && !/^[1-9][0-9]{0,8}$/.test(token)) {
        throw aborted(`starting_token: ${JSON.stringify(token)} is not a ${PROVIDER_LABEL} page number`);
      }
      const selector = page.tags === undefined ? undefined : labelSelector(encodeLabels(page.tags));
      const { volumes, pagination } = await mapped(
        client.listVolumes(
          {
            labelSelector: selector === "" ? undefined : selector,
            page: token === undefined || token === "" ? undefined : Number(token),
            perPage: Math.min(page.limit ?? MAX_PER_PAGE, MAX_PER_PAGE),
          },
          call(options),
        ),
      );
      const next = pagination.next_page;
      return { items: volumes.map(toVolume), nextPageToken: next == null ? undefined : String(next) };
    },
    async deleteVolume(id, options) {
      const value = hetznerId(id);
      if (value === undefined) return;
      await mapped(orUndefined(client.deleteVolume(value, call(options))));
    },
    async resizeVolume(id, sizeBytes, options) {
      const value = volumeIdOf("volume_id", id);
      const request = call(options);
      const size = sizeInGb("capacity_range", sizeBytes);
      return mapped(
        (async () => {
          const volume = await orUndefined(client.getVolume(value, request));
          if (volume === undefined) throw notFound(`volume_id: volume ${id} does not exist`);
          // Hetzner volumes only grow: a size at or below the current one is already satisfied.
          if (size <= volume.size) return toVolume(volume);
          await client.waitForAction(await client.resizeVolume(value, size, request), request);
          return toVolume({ ...volume, size });
        })(),
      );
    },
    async modifyVolume() {
      throw unimplemented("mutable_parameters");
    },
    async attachVolume(volumeId, instanceId, input, options) {
      const volume = volumeIdOf("volume_id", volumeId);
      const server = hetznerId(instanceId);
      if (server === undefined) throw notFound(`node_id: node ${instanceId} does not exist`);
      const request = call(options);
      return mapped(
        (async () => {
          try {
            await client.waitForAction(await client.attachVolume(volume, server, request), request);
          } catch (error) {
            const refusal = await explainAttachRefusal(volume, server, error, request);
            if (refusal !== undefined) throw refusal;
          }
          return attachmentOf(String(volume), server, input.readOnly);
        })(),
      );
    },
    async detachVolume(volumeId, instanceId, options) {
      const volume = hetznerId(volumeId);
      const server = hetznerId(instanceId);
      if (volume === undefined || server === undefined) return;
      const request = call(options);
      // Hetzner's detach names no server: only detach when the volume is on this one.
      const attachedHere = async () =>
        (await orUndefined(client.getVolume(volume, request)))?.server === server;
      await mapped(
        (async () => {
          if (!(await attachedHere())) return;
          try {
            await client.waitForAction(await client.detachVolume(volume, request), request);
          } catch (error) {
            if (await attachedHere()) throw error;
          }
        })(),
      );
    },
    async createSnapshot() {
      throw unimplemented("CreateSnapshot");
    },
    async getSnapshot() {
      throw unimplemented("GetSnapshot");
    },
    async findSnapshotByName() {
      throw unimplemented("CreateSnapshot");
    },
    async listSnapshots() {
      throw unimplemented("ListSnapshots");
    },
    async deleteSnapshot() {
      throw unimplemented("DeleteSnapshot");
    },
    async getInstance(id, options): Promise<Instance | undefined> {
      const value = hetznerId(id);
      if (value === undefined) return undefined;
      const server = await mapped(orUndefined(client.getServer(value, call(options))));
      return server && toInstance(server);
    },
    async listZones() {
      return HETZNER_ZONES.map((zone) => ({ ...zone }));
    },
    async probe(options) {
      // Zones are a fixed list here, so readiness asks for the smallest page the token can read.
      await mapped(client.listVolumes({ perPage: 1 }, call(options)));
    },
    async listVolumeTypes() {
      return HETZNER_VOLUME_TYPES.map((type) => ({ ...type }));
    },
    async getCapacity() {
      throw unimplemented("GetCapacity");
    },
    close: () => client.close(),
  };
}
