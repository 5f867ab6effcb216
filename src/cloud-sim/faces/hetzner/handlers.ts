import type { components } from "../../../generated/hetzner-cloud.v1.js";
import type { CloudEngine } from "../../engine/index.js";
import { ProblemError } from "../../problems.js";
import type { Volume } from "../../state.js";
import { ApiError, type ApiHandler, type ApiInput, type ApiReply } from "../api-front.js";
import { finished } from "../face.js";
import { invalidInput } from "./dialect.js";
import { parseLabelSelector } from "./label-selector.js";
import { actionView, GB, locationView, paginationOf, serverView, volumeView } from "./views.js";

type Schemas = components["schemas"];

export const MAX_VOLUMES_PER_SERVER = 16;
export const MIN_SIZE_GB = 10;
export const MAX_SIZE_GB = 10_240;
const NAME = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,62}[a-zA-Z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
const ALL = Number.MAX_SAFE_INTEGER;

/** One handler per operationId of openapi/providers/hetzner-cloud.v1.yaml, over the engine. */
export function createHetznerHandlers(
  engine: CloudEngine,
  byIdPath: (volumeId: string) => string,
): Record<string, ApiHandler> {
  const location = (name: string) => {
    const position = engine.listZones().items.findIndex((z) => z.name === name);
    return locationView(name, position);
  };
  const view = (volume: Volume) => volumeView(volume, location(volume.zone), byIdPath(volume.id));
  const volumeId = (input: ApiInput) => String(input.path.id);
  const server = (id: unknown) => {
    try {
      return engine.getInstance(String(id));
    } catch (error) {
      if (error instanceof ProblemError && error.code === "not_found") {
        throw new ApiError(404, "not_found", `server with ID ${id} not found`);
      }
      throw error;
    }
  };
  const started = (operation: Parameters<typeof actionView>[0]): ApiReply => ({
    status: 201,
    body: { action: actionView(operation) },
  });

  return {
    list_volumes: (input) => {
      const name = input.query.name as string | undefined;
      const selector = input.query.label_selector as string | undefined;
      const matches = selector === undefined ? () => true : parseLabelSelector(selector);
      const all = engine
        .listVolumes({ limit: ALL, ...(name === undefined ? {} : { name }) })
        .items.filter((v) => matches(v.tags));
      const page = (input.query.page as number | undefined) ?? 1;
      const perPage = (input.query.per_page as number | undefined) ?? 25;
      if (page < 1 || perPage < 1 || perPage > 50) {
        throw invalidInput(`page ${page} / per_page ${perPage}: page starts at 1, per_page is 1 to 50`);
      }
      return {
        status: 200,
        body: {
          volumes: all.slice((page - 1) * perPage, page * perPage).map(view),
          meta: { pagination: paginationOf(all.length, page, perPage) },
        },
      };
    },
    create_volume: async (input) => {
      const body = input.body as Schemas["VolumeCreate"];
      // Hetzner would attach, mount or format on its own; a driver must never ask, so it fails here.
      const unwanted = ["server", "automount", "format"].find((key) => key in body);
      if (unwanted !== undefined) {
        throw invalidInput(`${unwanted}: this reference cloud never attaches, mounts or formats on create`);
      }
      if (!NAME.test(body.name)) {
        throw invalidInput(
          `name: ${JSON.stringify(body.name)} must be 1 to 64 letters, digits, '.', '-' or '_', starting and ending with a letter or digit`,
        );
      }
      checkSize(body.size);
      const badKey = Object.keys(body.labels ?? {}).find((key) => !LABEL_KEY.test(key));
      if (badKey !== undefined)
        throw invalidInput(`labels: ${JSON.stringify(badKey)} is not a valid label key`);
      if (body.location === undefined) {
        throw invalidInput("location: required (this cloud does not create volumes on a server)");
      }
      if (engine.listVolumes({ limit: 1, name: body.name }).items.length > 0) {
        throw new ApiError(
          409,
          "uniqueness_error",
          `name: a volume named ${body.name} already exists in the project`,
        );
      }
      const { operation } = await engine.createVolume({
        name: body.name,
        zone: body.location,
        sizeGiB: body.size,
        tags: { ...body.labels },
      });
      return {
        status: 201,
        body: {
          volume: view(engine.getVolume(operation.resourceId)),
          action: actionView(operation),
          next_actions: [],
        },
      };
    },
    get_volume: (input) => ({ status: 200, body: { volume: view(engine.getVolume(volumeId(input))) } }),
    delete_volume: async (input) => {
      const { operation } = await engine.deleteVolume(volumeId(input));
      const done = await finished(engine, operation);
      if (done.status === "failed") {
        throw new ApiError(500, "server_error", done.error?.detail ?? "delete failed");
      }
      return { status: 204 };
    },
    attach_volume_to_server: async (input) => {
      const id = volumeId(input);
      const body = input.body as Schemas["VolumeAttach"];
      const target = server(body.server);
      const other = engine.getVolume(id).attachments.find((a) => a.instanceId !== target.id);
      if (other !== undefined) {
        throw new ApiError(
          409,
          "volume_already_attached",
          `volume ${id} is already attached to server ${other.instanceId}; detach it first`,
        );
      }
      const { operation } = await engine
        .attachVolume(id, { instanceId: target.id })
        .catch((error: unknown) => {
          if (error instanceof ProblemError && error.code === "attach_limit_exceeded") {
            throw new ApiError(
              403,
              "resource_limit_exceeded",
              `server ${target.id} already has the maximum of ${MAX_VOLUMES_PER_SERVER} volumes attached`,
            );
          }
          throw error;
        });
      return started(operation);
    },
    detach_volume: async (input) => {
      const id = volumeId(input);
      const attachment = engine.getVolume(id).attachments[0];
      if (attachment === undefined) throw invalidInput(`volume ${id} is not attached to a server`);
      const { operation } = await engine.detachVolume(id, attachment.instanceId);
      return started(operation);
    },
    resize_volume: async (input) => {
      const id = volumeId(input);
      const size = (input.body as Schemas["VolumeResize"]).size;
      if (!Number.isInteger(size)) throw invalidInput(`size: ${size} is not a whole number of GB`);
      checkSize(size);
      const current = engine.getVolume(id);
      if (size * GB < current.sizeBytes) {
        throw invalidInput(
          `size: ${size} GB is smaller than the current ${current.sizeBytes / GB} GB; volumes only grow`,
        );
      }
      const { operation } = await engine.resizeVolume(id, { sizeGiB: size });
      return started(operation);
    },
    get_action: (input) => {
      const id = String(input.path.id);
      try {
        return { status: 200, body: { action: actionView(engine.getOperation(id)) } };
      } catch (error) {
        if (error instanceof ProblemError && error.code === "not_found") {
          throw new ApiError(404, "not_found", `action with ID ${id} not found`);
        }
        throw error;
      }
    },
    get_server: (input) => {
      const instance = server(input.path.id);
      return { status: 200, body: { server: serverView(instance, location(instance.zone)) } };
    },
  };
}

function checkSize(size: number): void {
  if (size < MIN_SIZE_GB || size > MAX_SIZE_GB) {
    throw invalidInput(`size: ${size} GB is outside ${MIN_SIZE_GB}..${MAX_SIZE_GB}`);
  }
}
