import { FaceReader, type InventoryReader, type StormSnapshot, type StormVolume } from "./inventory.js";

const CSI_NAME_KEY = "ballast.dev/csi-name";
const PER_PAGE = 200;

interface DoVolume {
  id: string;
  name: string;
  description?: string;
  droplet_ids?: number[] | null;
}

interface DoSnapshot {
  id: string;
  name: string;
}

interface DoPage {
  links?: { pages?: { next?: string } };
}

/**
 * The CO name of a DigitalOcean volume: the driver keeps it in the description's JSON
 * (src/providers/digitalocean/tags.ts), since a tag per volume would outlive the volume.
 */
export function digitalOceanCoName(volume: { name: string; description?: string }): string | undefined {
  if (volume.description?.startsWith("{")) {
    try {
      const facts: unknown = JSON.parse(volume.description);
      if (typeof facts === "object" && facts !== null && !Array.isArray(facts)) {
        const name = (facts as Record<string, unknown>)[CSI_NAME_KEY];
        if (typeof name === "string") return name;
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The DigitalOcean face read as the storm needs it: volumes from `/v2/volumes`, snapshots per
 * volume (the API has no list of all volume snapshots), droplets by id (nor a list of droplets).
 * A snapshot keeps no description, so its CO name is its name: the storm's names are valid
 * DigitalOcean names and the driver keeps them as they are.
 */
export class DigitalOceanInventory implements InventoryReader {
  private readonly http: FaceReader;
  private readonly snapshotIds = new Set<string>();

  constructor(
    apiUrl: string,
    token: string,
    private readonly dropletIds: readonly string[],
  ) {
    this.http = new FaceReader(apiUrl, token);
  }

  remember(_kind: "snapshot", id: string): void {
    this.snapshotIds.add(id);
  }

  private async pages<T>(path: string, key: string): Promise<T[] | undefined> {
    const items: T[] = [];
    for (let page = 1; ; page += 1) {
      const separator = path.includes("?") ? "&" : "?";
      const answer = await this.http.get<DoPage & Record<string, T[]>>(
        `${path}${separator}page=${page}&per_page=${PER_PAGE}`,
      );
      if (answer === undefined) return undefined;
      items.push(...(answer[key] ?? []));
      if (answer.links?.pages?.next === undefined) return items;
    }
  }

  async read(options: { thorough?: boolean } = {}) {
    const doVolumes = (await this.pages<DoVolume>("/v2/volumes", "volumes")) ?? [];
    const volumes: StormVolume[] = doVolumes.map((volume) => ({
      id: volume.id,
      coName: digitalOceanCoName(volume),
      status: "available",
      attachments: (volume.droplet_ids ?? []).map((droplet) => `${droplet} (attached)`),
    }));
    const found = new Map<string, StormSnapshot>();
    const add = (snapshot: DoSnapshot, status: string) => {
      this.snapshotIds.add(snapshot.id);
      found.set(snapshot.id, { id: snapshot.id, coName: snapshot.name, status });
    };
    // A volume deleted since the list answers 404: it has no snapshots to show any more.
    const perVolume = await Promise.all(
      doVolumes.map((volume) => this.pages<DoSnapshot>(`/v2/volumes/${volume.id}/snapshots`, "snapshots")),
    );
    for (const snapshots of perVolume) for (const snapshot of snapshots ?? []) add(snapshot, "available");
    if (options.thorough === true) {
      const unlisted = [...this.snapshotIds].filter((id) => !found.has(id));
      const answers = await Promise.all(
        unlisted.map((id) => this.http.get<{ snapshot: DoSnapshot }>(`/v2/volumes/snapshots/${id}`)),
      );
      for (const answer of answers) if (answer !== undefined) add(answer.snapshot, "of a deleted volume");
    }
    const droplets = await Promise.all(
      this.dropletIds.map((id) =>
        this.http.must<{ droplet: { id: number; volume_ids: string[] } }>(`/v2/droplets/${id}`),
      ),
    );
    return {
      volumes,
      snapshots: [...found.values()],
      instances: droplets.map(({ droplet }) => ({
        id: String(droplet.id),
        attachedVolumeIds: droplet.volume_ids,
      })),
    };
  }
}
