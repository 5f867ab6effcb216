import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { ValidateFunction } from "ajv";
import type { components } from "../../src/generated/digitalocean.v2.js";
import {
  createDigitalOceanClient,
  type DigitalOceanClient,
  type DigitalOceanClientOptions,
} from "../../src/providers/digitalocean/client.js";
import { loadOurs } from "./contract-fixtures.js";
import { FakeCloudApi, type Interceptor, type Recorded } from "./fake-cloud-api.js";
import { SchemaValidator } from "./reference-examples.js";

type Volume = components["schemas"]["Volume"];
type Action = components["schemas"]["Action"];
type Droplet = components["schemas"]["Droplet"];
type Snapshot = components["schemas"]["Snapshot"];

const region = (slug: string) => ({ name: slug, slug, features: [], available: true, sizes: [] });

const RATE_LIMIT_HEADERS = {
  "ratelimit-limit": "5000",
  "ratelimit-remaining": "4999",
  "ratelimit-reset": "1765000000",
};

export function digitalOceanError(
  response: ServerResponse,
  status: number,
  id: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...RATE_LIMIT_HEADERS, ...headers });
  response.end(JSON.stringify({ id, message, request_id: "4d9d8375-3c56-4925-a3e7-eb137fed17e9" }));
}

/** An interceptor answering the first `count` requests `match` picks with DigitalOcean's error body. */
export function refuse(
  match: (request: Recorded) => boolean,
  status: number,
  id: string,
  message: string,
  options: { count?: number; headers?: Record<string, string> } = {},
): Interceptor {
  let left = options.count ?? Number.POSITIVE_INFINITY;
  return (request, response) => {
    if (!match(request) || left <= 0) return false;
    left -= 1;
    digitalOceanError(response, status, id, message, options.headers);
    return true;
  };
}

const ours = loadOurs("digitalocean.v2.yaml");
const validator = new SchemaValidator(ours, "3.1", "digitalocean-fake");
const compiled = new Map<string, ValidateFunction | undefined>();

function validatorFor(method: string, template: string, part: { status: string } | "request") {
  const key = `${method} ${template} ${part === "request" ? "request" : part.status}`;
  if (!compiled.has(key)) {
    const schema = validator.schemaAt(method, template, part);
    compiled.set(key, schema === undefined ? undefined : validator.compile(schema));
  }
  return compiled.get(key);
}

/**
 * A DigitalOcean API on 127.0.0.1 as openapi/providers/digitalocean.v2.yaml says, for the volume,
 * volume action, snapshot and droplet endpoints the provider uses: names unique per region, actions
 * that stay `in-progress` until polled `actionPolls` times, droplets with at most 7 volumes, the
 * error body and rate-limit headers, and the 422 messages DigitalOcean gives for attach and detach
 * refusals. Every request body and every answer is checked against the description; what does not
 * validate lands in `violations`.
 */
export class FakeDigitalOcean extends FakeCloudApi {
  readonly violations: string[] = [];
  readonly volumes = new Map<string, Volume>();
  readonly droplets = new Map<number, Droplet>();
  readonly snapshots = new Map<string, Snapshot>();
  readonly actions = new Map<number, Action & { pollsLeft: number; onComplete: () => void }>();
  /** GETs of an action before it reports completed. */
  actionPolls = 1;
  /** The status of a create refused because the name is taken. */
  nameTakenStatus: 409 | 422 = 409;
  protected readonly basePath = "";
  private nextActionId = 1000;

  client(options: Partial<DigitalOceanClientOptions> = {}): DigitalOceanClient {
    return createDigitalOceanClient({
      baseUrl: this.url,
      token: "test-token",
      qps: 1000,
      burst: 100,
      random: () => 0,
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      poll: { initialDelayMs: 1, maxDelayMs: 5 },
      ...options,
    });
  }

  addDroplet(id: number, slug = "nyc1", volumeIds: string[] = []): Droplet {
    const droplet: Droplet = {
      id,
      name: `droplet-${id}`,
      locked: false,
      status: "active",
      volume_ids: volumeIds,
      region: region(slug),
      tags: [],
    };
    this.droplets.set(id, droplet);
    return droplet;
  }

  addVolume(fields: Partial<Volume> & { name: string }): Volume {
    const volume: Volume = {
      id: randomUUID(),
      droplet_ids: [],
      description: "",
      size_gigabytes: 10,
      created_at: "2026-12-05T12:00:00Z",
      tags: [],
      region: region("nyc1"),
      ...fields,
    };
    this.volumes.set(volume.id as string, volume);
    return volume;
  }

  addSnapshot(volume: Volume, name: string, tags: string[] = []): Snapshot {
    const snapshot: Snapshot = {
      id: randomUUID(),
      name,
      created_at: "2026-12-05T12:00:00Z",
      regions: [volume.region?.slug ?? "nyc1"],
      min_disk_size: volume.size_gigabytes ?? 1,
      size_gigabytes: 0.4,
      resource_id: volume.id as string,
      resource_type: "volume",
      tags,
    };
    this.snapshots.set(snapshot.id, snapshot);
    return snapshot;
  }

  /** Attaches at once, as a finished attach action would. */
  attach(volume: Volume, dropletId: number): void {
    volume.droplet_ids = [...(volume.droplet_ids ?? []), dropletId];
    const droplet = this.droplets.get(dropletId);
    if (droplet) droplet.volume_ids = [...droplet.volume_ids, volume.id as string];
  }

  private check(where: string, validate: ValidateFunction | undefined, value: unknown): void {
    if (validate === undefined || validate(value) === true) return;
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
    this.violations.push(`${where}: ${errors.join("; ")}`);
  }

  private json(res: ServerResponse, r: Recorded, template: string, status: number, body: unknown): void {
    this.check(
      `${r.method} ${template} ${status}`,
      validatorFor(r.method.toLowerCase(), template, { status: String(status) }),
      body,
    );
    res.writeHead(status, { "content-type": "application/json", ...RATE_LIMIT_HEADERS });
    res.end(JSON.stringify(body));
  }

  private noContent(res: ServerResponse): void {
    res.writeHead(204, RATE_LIMIT_HEADERS).end();
  }

  private requestBody(r: Recorded, template: string): Record<string, unknown> {
    this.check(
      `${r.method} ${template} request`,
      validatorFor(r.method.toLowerCase(), template, "request"),
      r.body,
    );
    return (r.body ?? {}) as Record<string, unknown>;
  }

  /** A list page as DigitalOcean pages it: `links.pages.next` only when there is more. */
  private page<T>(r: Recorded, items: T[]): { items: T[]; links: { pages: Record<string, string> } } {
    const page = Number(r.query.get("page") ?? "1");
    const perPage = Number(r.query.get("per_page") ?? "20");
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const more = page * perPage < items.length;
    return { items: slice, links: { pages: more ? { next: `${this.url}${r.path}?page=${page + 1}` } : {} } };
  }

  protected override route(r: Recorded, res: ServerResponse): unknown {
    const path = r.path;
    if (path === "/v2/volumes" && r.method === "POST") return this.createVolume(r, res);
    if (path === "/v2/volumes" && r.method === "GET") {
      const name = r.query.get("name");
      const slug = r.query.get("region");
      const found = [...this.volumes.values()].filter(
        (v) => (name === null || v.name === name) && (slug === null || v.region?.slug === slug),
      );
      const { items, links } = this.page(r, found);
      return this.json(res, r, "/v2/volumes", 200, { volumes: items, links, meta: { total: found.length } });
    }
    const dropletMatch = /^\/v2\/droplets\/(\d+)$/.exec(path);
    if (dropletMatch && r.method === "GET") {
      const droplet = this.droplets.get(Number(dropletMatch[1]));
      if (droplet === undefined) return digitalOceanError(res, 404, "not_found", "droplet not found");
      return this.json(res, r, "/v2/droplets/{droplet_id}", 200, { droplet });
    }
    const snapshotMatch = /^\/v2\/volumes\/snapshots\/([^/]+)$/.exec(path);
    if (snapshotMatch) {
      const snapshot = this.snapshots.get(snapshotMatch[1] ?? "");
      if (snapshot === undefined) return digitalOceanError(res, 404, "not_found", "snapshot not found");
      if (r.method === "GET") {
        return this.json(res, r, "/v2/volumes/snapshots/{snapshot_id}", 200, { snapshot });
      }
      this.snapshots.delete(snapshot.id);
      return this.noContent(res);
    }
    const m = /^\/v2\/volumes\/([^/]+)(\/actions(?:\/(\d+))?|\/snapshots)?$/.exec(path);
    const volume = m === null ? undefined : this.volumes.get(m[1] ?? "");
    if (m === null) return digitalOceanError(res, 404, "not_found", `no route ${r.method} ${path}`);
    if (volume === undefined) return digitalOceanError(res, 404, "not_found", "volume not found");
    const sub = m[2];
    if (sub === undefined && r.method === "GET") {
      return this.json(res, r, "/v2/volumes/{volume_id}", 200, { volume });
    }
    if (sub === undefined && r.method === "DELETE") {
      if ((volume.droplet_ids ?? []).length > 0) {
        return digitalOceanError(res, 409, "conflict", "volume is currently attached to a droplet");
      }
      this.volumes.delete(volume.id as string);
      return this.noContent(res);
    }
    if (sub === "/snapshots" && r.method === "POST") return this.createSnapshot(r, res, volume);
    if (sub === "/snapshots" && r.method === "GET") {
      const found = [...this.snapshots.values()].filter((s) => s.resource_id === volume.id);
      const { items, links } = this.page(r, found);
      return this.json(res, r, "/v2/volumes/{volume_id}/snapshots", 200, {
        snapshots: items,
        links,
        meta: { total: found.length },
      });
    }
    if (sub === "/actions" && r.method === "POST") return this.volumeAction(r, res, volume);
    if (m[3] !== undefined && r.method === "GET") {
      const action = this.actions.get(Number(m[3]));
      if (action === undefined) return digitalOceanError(res, 404, "not_found", "action not found");
      if (action.status === "in-progress") {
        action.pollsLeft -= 1;
        if (action.pollsLeft <= 0) this.complete(action);
      }
      return this.json(res, r, "/v2/volumes/{volume_id}/actions/{action_id}", 200, {
        action: this.publicAction(action),
      });
    }
    digitalOceanError(res, 405, "method_not_allowed", "no such method");
  }

  private createVolume(r: Recorded, res: ServerResponse): unknown {
    const body = this.requestBody(r, "/v2/volumes") as components["schemas"]["VolumeCreate"];
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(body.name)) {
      return digitalOceanError(res, 422, "unprocessable_entity", "name is invalid");
    }
    const taken = [...this.volumes.values()].some(
      (v) => v.name === body.name && v.region?.slug === body.region,
    );
    if (taken) {
      return digitalOceanError(
        res,
        this.nameTakenStatus,
        this.nameTakenStatus === 409 ? "conflict" : "unprocessable_entity",
        "a volume with that name already exists in the region",
      );
    }
    if (body.snapshot_id !== undefined) {
      const snapshot = this.snapshots.get(body.snapshot_id);
      if (snapshot === undefined) return digitalOceanError(res, 404, "not_found", "snapshot not found");
      if (body.size_gigabytes < snapshot.min_disk_size) {
        return digitalOceanError(res, 422, "unprocessable_entity", "size is smaller than the snapshot");
      }
    }
    const volume = this.addVolume({
      name: body.name,
      size_gigabytes: body.size_gigabytes,
      region: region(body.region),
      tags: body.tags ?? [],
      description: body.description ?? "",
    });
    this.json(res, r, "/v2/volumes", 201, { volume: { ...volume } });
  }

  private createSnapshot(r: Recorded, res: ServerResponse, volume: Volume): unknown {
    const body = this.requestBody(
      r,
      "/v2/volumes/{volume_id}/snapshots",
    ) as components["schemas"]["SnapshotCreate"];
    if ([...this.snapshots.values()].some((s) => s.name === body.name && s.resource_id === volume.id)) {
      return digitalOceanError(res, 409, "conflict", "a snapshot with that name already exists");
    }
    const snapshot = this.addSnapshot(volume, body.name, body.tags ?? []);
    this.json(res, r, "/v2/volumes/{volume_id}/snapshots", 201, { snapshot });
  }

  private volumeAction(r: Recorded, res: ServerResponse, volume: Volume): unknown {
    const body = this.requestBody(r, "/v2/volumes/{volume_id}/actions") as {
      type: string;
      droplet_id?: number;
      size_gigabytes?: number;
    };
    const attached = volume.droplet_ids ?? [];
    if (body.type === "resize") {
      const size = body.size_gigabytes ?? 0;
      if (size <= (volume.size_gigabytes ?? 0)) {
        return digitalOceanError(
          res,
          422,
          "unprocessable_entity",
          "new size must be larger than the current size",
        );
      }
      return this.startAction(r, res, volume, "resize_volume", () => {
        volume.size_gigabytes = size;
      });
    }
    const droplet = this.droplets.get(body.droplet_id ?? 0);
    if (droplet === undefined) return digitalOceanError(res, 404, "not_found", "droplet not found");
    if (body.type === "attach") {
      if (attached.length > 0) {
        return digitalOceanError(res, 422, "unprocessable_entity", "This volume is already attached");
      }
      if (droplet.region.slug !== volume.region?.slug) {
        return digitalOceanError(
          res,
          422,
          "unprocessable_entity",
          "volume and droplet are in different regions",
        );
      }
      if (droplet.volume_ids.length >= 7) {
        return digitalOceanError(
          res,
          422,
          "unprocessable_entity",
          "cannot attach more than 7 volumes to a single Droplet",
        );
      }
      return this.startAction(r, res, volume, "attach_volume", () => this.attach(volume, droplet.id));
    }
    if (!attached.includes(droplet.id)) {
      return digitalOceanError(res, 422, "unprocessable_entity", "Attachment not found");
    }
    this.startAction(r, res, volume, "detach_volume", () => {
      volume.droplet_ids = attached.filter((id) => id !== droplet.id);
      droplet.volume_ids = droplet.volume_ids.filter((id) => id !== volume.id);
    });
  }

  private startAction(
    r: Recorded,
    res: ServerResponse,
    volume: Volume,
    type: string,
    onComplete: () => void,
  ) {
    const action = {
      id: this.nextActionId++,
      status: "in-progress" as const,
      type,
      started_at: "2026-12-05T12:00:00Z",
      completed_at: null,
      resource_id: null,
      resource_type: "volume",
      region: volume.region,
      region_slug: volume.region?.slug ?? null,
      pollsLeft: this.actionPolls,
      onComplete,
    };
    this.actions.set(action.id, action);
    if (action.pollsLeft <= 0) this.complete(action);
    this.json(res, r, "/v2/volumes/{volume_id}/actions", 202, { action: this.publicAction(action) });
  }

  private complete(action: Action & { onComplete: () => void }): void {
    action.status = "completed";
    action.completed_at = "2026-12-05T12:00:01Z";
    action.onComplete();
  }

  private publicAction(action: Action & { pollsLeft?: number; onComplete?: () => void }): Action {
    const { pollsLeft: _p, onComplete: _o, ...rest } = action;
    return rest;
  }
}
