import type { ServerResponse } from "node:http";
import type { components } from "../../src/generated/hetzner-cloud.v1.js";
import { createHetznerClient, type HetznerClient } from "../../src/providers/hetzner/client.js";
import { FakeCloudApi, type Interceptor, type Recorded } from "./fake-cloud-api.js";

type Volume = components["schemas"]["Volume"];
type Action = components["schemas"]["Action"];
type Server = components["schemas"]["Server"];

const location = (name: string) => ({
  id: 1,
  name,
  description: name,
  country: "DE",
  city: "Falkenstein",
  latitude: 0,
  longitude: 0,
  network_zone: "eu-central",
});

export function hetznerError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify({ error: { code, message, details: null } }));
}

/** An interceptor answering the requests `match` picks with Hetzner's error body. */
export function refuse(
  match: (request: Recorded) => boolean,
  status: number,
  code: string,
  message: string,
): Interceptor {
  return (request, response) => {
    if (!match(request)) return false;
    hetznerError(response, status, code, message);
    return true;
  };
}

/**
 * A Hetzner Cloud API on 127.0.0.1 as its description says, for the volume, action and server
 * endpoints the provider uses: unique volume names (`uniqueness_error`), actions that run until
 * they are polled `actionPolls` times, servers with their attached volumes, and the error body.
 */
export class FakeHetzner extends FakeCloudApi {
  readonly volumes = new Map<number, Volume>();
  readonly servers = new Map<number, Server>();
  readonly actions = new Map<number, Action & { pollsLeft: number }>();
  /** GETs of a running action before it reports success. */
  actionPolls = 1;
  protected readonly basePath = "/v1";
  private nextId = 100;

  client(options: Partial<Parameters<typeof createHetznerClient>[0]> = {}): HetznerClient {
    return createHetznerClient({
      baseUrl: this.url,
      token: "test-token",
      qps: 1000,
      burst: 100,
      random: () => 0,
      ...options,
    });
  }

  addServer(id: number, locationName = "fsn1", volumes: number[] = []): Server {
    const server: Server = {
      id,
      name: `server-${id}`,
      status: "running",
      locked: false,
      location: location(locationName),
      volumes,
    };
    this.servers.set(id, server);
    return server;
  }

  addVolume(fields: Partial<Volume> & { name: string }): Volume {
    const id = this.nextId++;
    const volume: Volume = {
      id,
      size: 10,
      status: "available",
      server: null,
      location: location("fsn1"),
      linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${id}`,
      labels: {},
      protection: { delete: false },
      format: null,
      created: "2026-12-05T12:00:00Z",
      ...fields,
    };
    this.volumes.set(id, volume);
    return volume;
  }

  private startAction(
    command: string,
    resources: { id: number; type: string }[],
    onSuccess: () => void,
  ): Action {
    const id = this.nextId++;
    const action = {
      id,
      command,
      status: "running" as const,
      progress: 0,
      started: "2026-12-05T12:00:00Z",
      finished: null,
      resources,
      error: null,
      pollsLeft: this.actionPolls,
      onSuccess,
    };
    this.actions.set(id, action);
    if (action.pollsLeft === 0) this.finish(action);
    return this.publicAction(action);
  }

  private finish(action: Action & { pollsLeft: number; onSuccess?: () => void }): void {
    action.status = "success";
    action.progress = 100;
    action.finished = "2026-12-05T12:00:01Z";
    action.onSuccess?.();
  }

  private publicAction(action: Action & { pollsLeft?: number; onSuccess?: () => void }): Action {
    const { pollsLeft: _p, onSuccess: _o, ...rest } = action;
    return rest;
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      "content-type": "application/json",
      "ratelimit-limit": "3600",
      "ratelimit-remaining": "3599",
      "ratelimit-reset": "0",
    });
    res.end(JSON.stringify(body));
  }

  protected override route(r: Recorded, res: ServerResponse): unknown {
    const volumeMatch = /^\/volumes\/(\d+)(?:\/actions\/(attach|detach|resize))?$/.exec(r.path);
    const volume = volumeMatch && this.volumes.get(Number(volumeMatch[1]));
    if (r.method === "POST" && r.path === "/volumes") return this.create(r, res);
    if (r.method === "GET" && r.path === "/volumes") {
      const name = r.query.get("name");
      const selector = r.query.get("label_selector");
      const wanted = selector === null ? [] : selector.split(",").map((pair) => pair.split("="));
      const found = [...this.volumes.values()].filter(
        (v) => (name === null || v.name === name) && wanted.every(([k, val]) => v.labels[k ?? ""] === val),
      );
      const pagination = {
        page: 1,
        per_page: 50,
        previous_page: null,
        next_page: null,
        last_page: 1,
        total_entries: found.length,
      };
      return this.json(res, 200, { volumes: found, meta: { pagination } });
    }
    const serverMatch = /^\/servers\/(\d+)$/.exec(r.path);
    if (r.method === "GET" && serverMatch) {
      const server = this.servers.get(Number(serverMatch[1]));
      return server
        ? this.json(res, 200, { server })
        : hetznerError(res, 404, "not_found", "server not found");
    }
    const actionMatch = /^\/actions\/(\d+)$/.exec(r.path);
    if (r.method === "GET" && actionMatch) {
      const action = this.actions.get(Number(actionMatch[1]));
      if (action === undefined) return hetznerError(res, 404, "not_found", "action not found");
      if (action.status === "running") {
        action.pollsLeft -= 1;
        if (action.pollsLeft <= 0) this.finish(action);
      }
      return this.json(res, 200, { action: this.publicAction(action) });
    }
    if (volumeMatch === null) return hetznerError(res, 404, "not_found", `no route ${r.method} ${r.path}`);
    if (!volume) return hetznerError(res, 404, "not_found", "volume not found");
    const verb = volumeMatch[2];
    if (r.method === "GET" && verb === undefined) return this.json(res, 200, { volume });
    if (r.method === "DELETE" && verb === undefined) {
      if (volume.server !== null) return hetznerError(res, 423, "locked", "volume is attached");
      this.volumes.delete(volume.id);
      res.writeHead(204).end();
      return;
    }
    const body = (r.body ?? {}) as Record<string, number>;
    if (verb === "attach") {
      const server = this.servers.get(body.server ?? 0);
      if (server === undefined) return hetznerError(res, 404, "not_found", "server not found");
      if (volume.server !== null) return hetznerError(res, 422, "invalid_input", "volume already attached");
      if ((server.volumes ?? []).length >= 16)
        return hetznerError(res, 403, "resource_limit_exceeded", "too many volumes");
      const action = this.startAction("attach_volume", [{ id: volume.id, type: "volume" }], () => {
        volume.server = server.id;
        server.volumes = [...(server.volumes ?? []), volume.id];
      });
      return this.json(res, 201, { action });
    }
    if (verb === "detach") {
      if (volume.server === null) return hetznerError(res, 422, "invalid_input", "volume not attached");
      const action = this.startAction("detach_volume", [{ id: volume.id, type: "volume" }], () => {
        const server = this.servers.get(volume.server ?? 0);
        if (server) server.volumes = (server.volumes ?? []).filter((id) => id !== volume.id);
        volume.server = null;
      });
      return this.json(res, 201, { action });
    }
    if (verb === "resize") {
      if ((body.size ?? 0) <= volume.size) return hetznerError(res, 422, "invalid_input", "size must grow");
      const action = this.startAction("resize_volume", [{ id: volume.id, type: "volume" }], () => {
        volume.size = body.size ?? volume.size;
      });
      return this.json(res, 201, { action });
    }
    hetznerError(res, 405, "method_not_allowed", "no such method");
  }

  private create(r: Recorded, res: ServerResponse): unknown {
    const body = r.body as { name: string; size: number; location: string; labels?: Record<string, string> };
    if ([...this.volumes.values()].some((v) => v.name === body.name)) {
      return hetznerError(res, 409, "uniqueness_error", "name is already used");
    }
    const volume = this.addVolume({
      name: body.name,
      size: body.size,
      status: "creating",
      location: location(body.location),
      labels: body.labels ?? {},
    });
    const action = this.startAction("create_volume", [{ id: volume.id, type: "volume" }], () => {
      volume.status = "available";
    });
    this.json(res, 201, { volume: { ...volume }, action, next_actions: [] });
  }
}
