/**
 * A small, read-mostly view of the reference cloud's HTTP API, for checking what the driver
 * really did: the conformance suite, the fuzz test and the storm compare the cloud's state
 * with what the gRPC answers claimed.
 */

export interface CloudAttachment {
  instanceId: string;
  state: string;
}

export interface CloudVolume {
  id: string;
  name: string;
  sizeBytes: number;
  zone: string;
  type: string;
  status: string;
  tags: Record<string, string>;
  attachments: CloudAttachment[];
}

export interface CloudSnapshot {
  id: string;
  name: string;
  sourceVolumeId: string;
  status: string;
  tags?: Record<string, string>;
}

export interface CloudInstance {
  id: string;
  name: string;
  zone: string;
  maxAttachedVolumes: number;
  attachedVolumeIds: string[];
}

export interface CloudVolumeType {
  name: string;
  minSizeBytes: number;
  maxSizeBytes: number;
  sizeGranularityBytes: number;
  multiAttach: boolean;
}

export interface FaultRule {
  operation: string;
  kind: "error" | "rateLimit" | "latency" | "dropConnection" | "crashAfterCommit";
  probability?: number;
  count?: number;
  status?: 500 | 502 | 503 | 504;
  retryAfterSeconds?: number;
  latencyMs?: number;
}

export interface FaultConfig {
  seed?: number;
  rules: FaultRule[];
}

export interface CloudInventory {
  volumes: CloudVolume[];
  snapshots: CloudSnapshot[];
  instances: CloudInstance[];
}

interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export interface CloudRequestCounter {
  operationId: string;
  status: number;
  count: number;
}

export class CloudApi {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.url), {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  private async listAll<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ limit: "1000" });
      if (token !== undefined) query.set("pageToken", token);
      const page = await this.request<Page<T>>("GET", `${path}?${query}`);
      items.push(...page.items);
      token = page.nextPageToken;
    } while (token !== undefined);
    return items;
  }

  volumes(): Promise<CloudVolume[]> {
    return this.listAll<CloudVolume>("/v1/volumes");
  }

  snapshots(): Promise<CloudSnapshot[]> {
    return this.listAll<CloudSnapshot>("/v1/snapshots");
  }

  instances(): Promise<CloudInstance[]> {
    return this.listAll<CloudInstance>("/v1/instances");
  }

  async volumeTypes(): Promise<CloudVolumeType[]> {
    return (await this.request<{ items: CloudVolumeType[] }>("GET", "/v1/volume-types")).items;
  }

  async inventory(): Promise<CloudInventory> {
    const [volumes, snapshots, instances] = await Promise.all([
      this.volumes(),
      this.snapshots(),
      this.instances(),
    ]);
    return { volumes, snapshots, instances };
  }

  setFaults(config: FaultConfig): Promise<FaultConfig> {
    return this.request<FaultConfig>("PUT", "/admin/faults", config);
  }

  /** How many `/v1` requests the cloud answered, by operation and HTTP status (0: connection dropped). */
  async requestCounters(): Promise<CloudRequestCounter[]> {
    return (await this.request<{ counters: CloudRequestCounter[] }>("GET", "/admin/requests")).counters;
  }
}

/** A stable, comparable picture of the cloud: what a rejected request must leave untouched. */
export function inventoryFingerprint(inventory: CloudInventory): string {
  const volumes = inventory.volumes
    .map((volume) => ({
      id: volume.id,
      name: volume.name,
      sizeBytes: volume.sizeBytes,
      type: volume.type,
      status: volume.status,
      tags: volume.tags,
      attachments: volume.attachments
        .map((attachment) => `${attachment.instanceId}:${attachment.state}`)
        .sort(),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const snapshots = inventory.snapshots
    .map((snapshot) => ({ id: snapshot.id, name: snapshot.name, status: snapshot.status }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const instances = inventory.instances
    .map((instance) => ({ id: instance.id, attached: [...instance.attachedVolumeIds].sort() }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return JSON.stringify({ volumes, snapshots, instances });
}
