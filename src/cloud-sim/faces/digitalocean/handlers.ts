import type { components } from "../../../generated/digitalocean.v2.js";
import type { Zone } from "../../config.js";
import type { CloudEngine } from "../../engine/index.js";
import { ProblemError } from "../../problems.js";
import type { Instance, OperationRecord } from "../../state.js";
import { ApiError, type ApiHandler, type ApiInput, type ApiReply } from "../api-front.js";
import { finished } from "../face.js";
import { badRequest, unprocessable } from "./dialect.js";
import {
  ACTION_TYPES,
  actionView,
  dropletView,
  engineTags,
  GiB,
  pageOf,
  regionView,
  snapshotView,
  volumeView,
} from "./views.js";

type Schemas = components["schemas"];

export const MAX_VOLUMES_PER_DROPLET = 7;
const MAX_SIZE_GIB = 16_384;
const NAME = /^[a-z][a-z0-9-]{0,63}$/;
const TAG = /^[A-Za-z0-9:_-]{1,255}$/;
const ALL = Number.MAX_SAFE_INTEGER;

/** One handler per operationId of openapi/providers/digitalocean.v2.yaml, over the engine. */
export function createDigitalOceanHandlers(engine: CloudEngine): Record<string, ApiHandler> {
  const region = (slug: string) => {
    const zone: Zone = engine.listZones().items.find((z) => z.name === slug) ?? {
      name: slug,
      region: slug,
      status: "unavailable",
    };
    return regionView(zone);
  };
  const volume = (id: string) => {
    const found = engine.getVolume(id);
    return volumeView(found, region(found.zone));
  };
  const action = (operation: OperationRecord) => {
    // The volume may be gone since; the droplet of an attach or detach knows the region too.
    const zone =
      sourceZone(engine, operation.resourceId) ??
      (operation.instanceId === undefined ? undefined : engine.getInstance(operation.instanceId).zone) ??
      "";
    return { action: actionView(operation, region(zone)) };
  };
  const snapshot = (id: string) => {
    const found = engine.getSnapshot(id);
    return snapshotView(found, sourceZone(engine, found.sourceVolumeId));
  };
  const pageQuery = (input: ApiInput) => ({
    page: (input.query.page as number | undefined) ?? 1,
    perPage: (input.query.per_page as number | undefined) ?? 20,
  });
  /** DigitalOcean answers create and delete once done; a failed operation is its server's fault. */
  const completed = async (operation: OperationRecord): Promise<OperationRecord> => {
    const done = await finished(engine, operation);
    if (done.status === "failed") {
      throw new ApiError(500, "server_error", done.error?.detail ?? `${done.kind} failed`);
    }
    return done;
  };

  return {
    volumes_list: (input) => {
      const name = input.query.name as string | undefined;
      const zone = input.query.region as string | undefined;
      const all = engine.listVolumes({
        limit: ALL,
        ...(name === undefined ? {} : { name }),
        ...(zone === undefined ? {} : { zone }),
      }).items;
      const { page, perPage } = pageQuery(input);
      const filters = {
        ...(name === undefined ? {} : { name }),
        ...(zone === undefined ? {} : { region: zone }),
      };
      const shown = pageOf(all, page, perPage, "/v2/volumes", filters);
      return ok({
        volumes: shown.items.map((v) => volumeView(v, region(v.zone))),
        links: shown.links,
        meta: shown.meta,
      });
    },
    volumes_create: async (input) => {
      const body = input.body as Schemas["VolumeCreate"];
      refusePreformatting(body);
      checkName(body.name);
      checkSize(body.size_gigabytes);
      checkTags(body.tags);
      if (engine.listVolumes({ limit: 1, name: body.name, zone: body.region }).items.length > 0) {
        throw new ApiError(
          409,
          "conflict",
          `a volume named ${body.name} already exists in region ${body.region}`,
        );
      }
      if (body.snapshot_id !== undefined) {
        const from = engine.getSnapshot(body.snapshot_id);
        const zone = sourceZone(engine, from.sourceVolumeId);
        if (zone !== undefined && zone !== body.region) {
          throw unprocessable(`snapshot ${from.id} is in region ${zone}, not ${body.region}`);
        }
        if (body.size_gigabytes * GiB < from.sizeBytes) {
          throw unprocessable(
            `size_gigabytes: ${body.size_gigabytes} is smaller than the snapshot's ${Math.ceil(from.sizeBytes / GiB)}`,
          );
        }
      }
      const { operation } = await engine.createVolume({
        name: body.name,
        zone: body.region,
        sizeGiB: body.size_gigabytes,
        tags: engineTags(body.tags, body.description),
        ...(body.snapshot_id === undefined ? {} : { sourceSnapshotId: body.snapshot_id }),
      });
      const done = await completed(operation);
      return { status: 201, body: { volume: volume(done.resourceId) } };
    },
    volumes_get: (input) => ok({ volume: volume(String(input.path.volume_id)) }),
    volumes_delete: async (input) => {
      const { operation } = await engine.deleteVolume(String(input.path.volume_id));
      await completed(operation);
      return { status: 204 };
    },
    volumeActions_post_byId: async (input) => {
      const volumeId = String(input.path.volume_id);
      const body = input.body as {
        type: string;
        droplet_id?: number;
        size_gigabytes?: number;
        region?: string;
      };
      const current = engine.getVolume(volumeId);
      if (body.region !== undefined && body.region !== current.zone) {
        throw unprocessable(`region: volume ${volumeId} is in ${current.zone}, not ${body.region}`);
      }
      if (body.type === "resize") {
        if (body.size_gigabytes === undefined) throw badRequest("size_gigabytes is required to resize");
        checkSize(body.size_gigabytes);
        if (body.size_gigabytes * GiB < current.sizeBytes) {
          throw unprocessable(
            `size_gigabytes: ${body.size_gigabytes} is smaller than the current ${current.sizeBytes / GiB}; volumes only grow`,
          );
        }
        const { operation } = await engine.resizeVolume(volumeId, { sizeGiB: body.size_gigabytes });
        return { status: 202, body: action(operation) };
      }
      if (body.droplet_id === undefined) throw badRequest(`droplet_id is required to ${body.type}`);
      const dropletId = String(body.droplet_id);
      droplet(engine, dropletId);
      const attachment = current.attachments.find((a) => a.instanceId === dropletId);
      if (attachment !== undefined && attachment.state !== "attached") {
        throw unprocessable("Droplet already has a pending event.");
      }
      if (body.type === "attach") {
        if (attachment !== undefined) throw unprocessable("This volume is already attached to this Droplet.");
        const other = current.attachments[0];
        if (other !== undefined) {
          throw unprocessable(
            `The volume is attached to another Droplet (${other.instanceId}); detach it first.`,
          );
        }
        const { operation } = await engine
          .attachVolume(volumeId, { instanceId: dropletId })
          .catch((error: unknown) => {
            throw attachRefusal(error, dropletId);
          });
        return { status: 202, body: action(operation) };
      }
      if (attachment === undefined) throw unprocessable("Attachment not found");
      const { operation } = await engine.detachVolume(volumeId, dropletId);
      return { status: 202, body: action(operation) };
    },
    volumeActions_get: (input) => {
      const operation = volumeAction(engine, String(input.path.action_id));
      if (operation.resourceId !== String(input.path.volume_id))
        throw noSuchAction(String(input.path.action_id));
      return ok(action(operation));
    },
    actions_get: (input) => ok(action(volumeAction(engine, String(input.path.action_id)))),
    volumeSnapshots_list: (input) => {
      const volumeId = String(input.path.volume_id);
      engine.getVolume(volumeId);
      const all = engine.listSnapshots({ limit: ALL, sourceVolumeId: volumeId }).items;
      const { page, perPage } = pageQuery(input);
      const shown = pageOf(all, page, perPage, `/v2/volumes/${volumeId}/snapshots`, {});
      return ok({
        snapshots: shown.items.map((s) => snapshotView(s, sourceZone(engine, s.sourceVolumeId))),
        links: shown.links,
        meta: shown.meta,
      });
    },
    volumeSnapshots_create: async (input) => {
      const volumeId = String(input.path.volume_id);
      const body = input.body as Schemas["SnapshotCreate"];
      engine.getVolume(volumeId);
      checkTags(body.tags);
      if (body.name === "") throw unprocessable("name: must not be empty");
      if (engine.listSnapshots({ limit: 1, name: body.name }).items.length > 0) {
        throw new ApiError(409, "conflict", `a snapshot named ${body.name} already exists`);
      }
      const { operation } = await engine.createSnapshot({
        name: body.name,
        sourceVolumeId: volumeId,
        tags: engineTags(body.tags),
      });
      const done = await completed(operation);
      return { status: 201, body: { snapshot: snapshot(done.resourceId) } };
    },
    volumeSnapshots_get_byId: (input) => ok({ snapshot: snapshot(String(input.path.snapshot_id)) }),
    volumeSnapshots_delete_byId: async (input) => {
      const { operation } = await engine.deleteSnapshot(String(input.path.snapshot_id));
      await completed(operation);
      return { status: 204 };
    },
    droplets_get: (input) => {
      const found = droplet(engine, String(input.path.droplet_id));
      return ok({ droplet: dropletView(found, region(found.zone)) });
    },
  };
}

const ok = (body: unknown): ApiReply => ({ status: 200, body });

/**
 * DigitalOcean would format the volume; the reference cloud refuses, so a driver that ever asks
 * (Ballast must not: the node formats, under its safety rules) fails its tests here.
 */
function refusePreformatting(body: object): void {
  const field = ["filesystem_type", "filesystem_label"].find((key) => key in body);
  if (field !== undefined) {
    throw unprocessable(`${field}: this reference cloud never pre-formats a volume; the node formats it`);
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw unprocessable(
      `name: ${JSON.stringify(name)} must be lowercase letters, digits and '-', start with a letter and be at most 64 characters`,
    );
  }
}

function checkSize(sizeGiB: number): void {
  if (sizeGiB < 1 || sizeGiB > MAX_SIZE_GIB) {
    throw unprocessable(`size_gigabytes: ${sizeGiB} is outside 1..${MAX_SIZE_GIB}`);
  }
}

function checkTags(tags: string[] | null | undefined): void {
  const bad = (tags ?? []).find((tag) => !TAG.test(tag));
  if (bad !== undefined) {
    throw unprocessable(
      `tags: ${JSON.stringify(bad)} may only hold letters, digits, ':', '-' and '_' (1 to 255)`,
    );
  }
}

function droplet(engine: CloudEngine, dropletId: string): Instance {
  try {
    return engine.getInstance(dropletId);
  } catch (error) {
    if (error instanceof ProblemError && error.code === "not_found") {
      throw new ApiError(404, "not_found", `droplet ${dropletId} not found`);
    }
    throw error;
  }
}

/** The region of the volume a snapshot was taken of, while that volume exists. */
function sourceZone(engine: CloudEngine, volumeId: string): string | undefined {
  try {
    return engine.getVolume(volumeId).zone;
  } catch {
    return undefined;
  }
}

function volumeAction(engine: CloudEngine, actionId: string): OperationRecord {
  let operation: OperationRecord;
  try {
    operation = engine.getOperation(actionId);
  } catch {
    throw noSuchAction(actionId);
  }
  if (ACTION_TYPES[operation.kind] === undefined) throw noSuchAction(actionId);
  return operation;
}

const noSuchAction = (actionId: string) =>
  new ApiError(404, "not_found", `action ${actionId} does not exist`);

function attachRefusal(error: unknown, dropletId: string): unknown {
  if (error instanceof ProblemError && error.code === "attach_limit_exceeded") {
    return unprocessable(
      `Droplet ${dropletId} already has the maximum number of volumes attached (${MAX_VOLUMES_PER_DROPLET}).`,
    );
  }
  if (error instanceof ProblemError && error.code === "zone_mismatch") {
    return unprocessable("Volume and Droplet must be in the same region.");
  }
  return error;
}
