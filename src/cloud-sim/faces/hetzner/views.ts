import type { components } from "../../../generated/hetzner-cloud.v1.js";
import type { Instance, OperationRecord, Volume } from "../../state.js";

type Schemas = components["schemas"];

export const GB = 1024 ** 3;

const COMMANDS: Record<OperationRecord["kind"], string> = {
  createVolume: "create_volume",
  deleteVolume: "delete_volume",
  attachVolume: "attach_volume",
  detachVolume: "detach_volume",
  resizeVolume: "resize_volume",
  modifyVolume: "change_volume",
  createSnapshot: "create_snapshot",
  deleteSnapshot: "delete_snapshot",
  createSnapshotGroup: "create_snapshot_group",
  deleteSnapshotGroup: "delete_snapshot_group",
};

type Place = Omit<Schemas["Location"], "id" | "name">;

const LOCATIONS: Record<string, Place & { id: number }> = {
  fsn1: place(1, "Falkenstein DC Park 1", "DE", "Falkenstein", 50.47612, 12.370071, "eu-central"),
  nbg1: place(2, "Nuremberg DC Park 1", "DE", "Nuremberg", 49.452102, 11.076665, "eu-central"),
  hel1: place(3, "Helsinki DC Park 1", "FI", "Helsinki", 60.169855, 24.938379, "eu-central"),
  ash: place(4, "Ashburn, VA", "US", "Ashburn, VA", 39.043757, -77.487442, "us-east"),
  hil: place(5, "Hillsboro, OR", "US", "Hillsboro, OR", 45.54222, -122.95194, "us-west"),
  sin: place(6, "Singapore", "SG", "Singapore", 1.283333, 103.833333, "ap-southeast"),
};

function place(
  id: number,
  description: string,
  country: string,
  city: string,
  latitude: number,
  longitude: number,
  networkZone: string,
): Place & { id: number } {
  return { id, description, country, city, latitude, longitude, network_zone: networkZone };
}

/** A location by name; one the table does not know still gets a stable id from its position. */
export function locationView(name: string, position: number): Schemas["Location"] {
  const known = LOCATIONS[name];
  return {
    name,
    ...(known ?? {
      id: 100 + position,
      description: name,
      country: "DE",
      city: name,
      latitude: 0,
      longitude: 0,
      network_zone: "eu-central",
    }),
  };
}

export function volumeView(
  volume: Volume,
  location: Schemas["Location"],
  linuxDevice: string,
): Schemas["Volume"] {
  // The server shows up once the attach action is done.
  const attached = volume.attachments.find((a) => a.state !== "attaching");
  return {
    id: Number(volume.id),
    name: volume.name,
    size: volume.sizeBytes / GB,
    status: volume.status === "creating" ? "creating" : "available",
    server: attached === undefined ? null : Number(attached.instanceId),
    location,
    linux_device: linuxDevice,
    labels: { ...volume.tags },
    protection: { delete: false },
    format: null,
    created: volume.createdAt,
  };
}

export function actionView(operation: OperationRecord): Schemas["Action"] {
  const running = operation.status === "running";
  return {
    id: Number(operation.id),
    command: COMMANDS[operation.kind],
    status: running ? "running" : operation.status === "succeeded" ? "success" : "error",
    progress: running ? 0 : 100,
    started: operation.createdAt,
    finished: running ? null : operation.updatedAt,
    resources: [
      { id: Number(operation.resourceId), type: "volume" },
      ...(operation.instanceId === undefined ? [] : [{ id: Number(operation.instanceId), type: "server" }]),
    ],
    error:
      operation.status === "failed"
        ? { code: "action_failed", message: operation.error?.detail ?? "action failed" }
        : null,
  };
}

export function serverView(instance: Instance, location: Schemas["Location"]): Schemas["Server"] {
  return {
    id: Number(instance.id),
    name: instance.name,
    status: "running",
    locked: false,
    location,
    volumes: instance.attachedVolumeIds.map(Number),
  };
}

/** Hetzner's `meta.pagination` for one page of a list. */
export function paginationOf(total: number, page: number, perPage: number): Schemas["Pagination"] {
  const last = Math.max(1, Math.ceil(total / perPage));
  return {
    page,
    per_page: perPage,
    previous_page: page > 1 ? Math.min(page - 1, last) : null,
    next_page: page < last ? page + 1 : null,
    last_page: last,
    total_entries: total,
  };
}
