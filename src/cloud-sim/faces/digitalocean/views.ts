import type { components } from "../../../generated/digitalocean.v2.js";
import type { Zone } from "../../config.js";
import type { Instance, OperationRecord, Snapshot, Volume } from "../../state.js";

type Schemas = components["schemas"];

export const GiB = 1024 ** 3;

/** What DigitalOcean calls each engine operation that it shows as a volume action. */
export const ACTION_TYPES: Partial<Record<OperationRecord["kind"], string>> = {
  attachVolume: "attach_volume",
  detachVolume: "detach_volume",
  resizeVolume: "resize_volume",
};

const REGION_NAMES: Record<string, string> = {
  ams3: "Amsterdam 3",
  blr1: "Bangalore 1",
  fra1: "Frankfurt 1",
  lon1: "London 1",
  nyc1: "New York 1",
  nyc2: "New York 2",
  nyc3: "New York 3",
  sfo2: "San Francisco 2",
  sfo3: "San Francisco 3",
  sgp1: "Singapore 1",
  syd1: "Sydney 1",
  tor1: "Toronto 1",
};

export function regionView(zone: Zone): Schemas["Region"] {
  return {
    name: REGION_NAMES[zone.name] ?? zone.name,
    slug: zone.name,
    features: ["storage", "metadata"],
    available: zone.status === "available",
    sizes: [],
  };
}

/**
 * The engine keeps a volume's free-text description as a tag under a key no DigitalOcean tag can
 * have (tags hold no '.'), so it comes back on every read as DigitalOcean keeps it.
 */
const DESCRIPTION_KEY = "digitalocean.description";

/** DigitalOcean tags are flat names; the engine keeps each as a key with an empty value. */
export const flatTags = (tags: Record<string, string>): string[] =>
  Object.keys(tags).filter((key) => key !== DESCRIPTION_KEY);
export const engineTags = (
  tags: string[] | null | undefined,
  description?: string | null,
): Record<string, string> => ({
  ...Object.fromEntries((tags ?? []).map((tag) => [tag, ""])),
  ...(description ? { [DESCRIPTION_KEY]: description } : {}),
});

export function volumeView(volume: Volume, region: Schemas["Region"]): Schemas["Volume"] {
  return {
    id: volume.id,
    // A droplet shows up once the attach action is done, as on DigitalOcean.
    droplet_ids: volume.attachments.filter((a) => a.state !== "attaching").map((a) => Number(a.instanceId)),
    name: volume.name,
    description: volume.tags[DESCRIPTION_KEY] ?? "",
    size_gigabytes: volume.sizeBytes / GiB,
    created_at: volume.createdAt,
    tags: flatTags(volume.tags),
    region,
    filesystem_type: "",
    filesystem_label: "",
  };
}

export function actionView(operation: OperationRecord, region: Schemas["Region"]): Schemas["Action"] {
  const done = operation.status !== "running";
  return {
    id: Number(operation.id),
    status:
      operation.status === "running"
        ? "in-progress"
        : operation.status === "succeeded"
          ? "completed"
          : "errored",
    type: ACTION_TYPES[operation.kind] ?? operation.kind,
    started_at: operation.createdAt,
    completed_at: done ? operation.updatedAt : null,
    resource_id: null,
    resource_type: "volume",
    region,
    region_slug: region.slug,
  };
}

/** `regions` is empty once the volume it was taken of is gone: the engine keeps no region for it. */
export function snapshotView(snapshot: Snapshot, region: string | undefined): Schemas["Snapshot"] {
  return {
    id: snapshot.id,
    name: snapshot.name,
    created_at: snapshot.createdAt,
    regions: region === undefined ? [] : [region],
    min_disk_size: Math.ceil(snapshot.sizeBytes / GiB),
    size_gigabytes: snapshot.sizeBytes / GiB,
    resource_id: snapshot.sourceVolumeId,
    resource_type: "volume",
    tags: flatTags(snapshot.tags),
  };
}

export function dropletView(instance: Instance, region: Schemas["Region"]): Schemas["Droplet"] {
  return {
    id: Number(instance.id),
    name: instance.name,
    locked: false,
    status: "active",
    volume_ids: instance.attachedVolumeIds,
    region,
    tags: [],
  };
}

/** One page of a list and DigitalOcean's `links.pages` and `meta.total` for it. */
export function pageOf<T>(
  items: T[],
  page: number,
  perPage: number,
  path: string,
  query: Record<string, string>,
): { items: T[]; links: Schemas["PageLinks"]; meta: Schemas["Meta"] } {
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number) =>
    `${path}?${new URLSearchParams({ ...query, page: String(n), per_page: String(perPage) })}`;
  const pages: NonNullable<Schemas["PageLinks"]["pages"]> = {
    ...(page > 1 ? { first: link(1), prev: link(Math.min(page - 1, last)) } : {}),
    ...(page < last ? { next: link(page + 1), last: link(last) } : {}),
  };
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    links: Object.keys(pages).length === 0 ? {} : { pages },
    meta: { total: items.length },
  };
}
