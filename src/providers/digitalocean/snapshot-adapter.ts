import type { RequestOptions } from "../../cloud/call-runner.js";
import type { BlockStorage, Snapshot } from "../../controller/block-storage.js";
import { notFound } from "../../shared/errors.js";
import type { DigitalOceanClient, DoSnapshot } from "./client.js";
import { isStatus, mapped } from "./error-mapping.js";
import { digitalOceanName, isUuid } from "./names.js";
import { answerLost, MAX_PER_PAGE, orUndefined, pageNumberOf, requestOptions } from "./request-options.js";
import { toSnapshot } from "./resources.js";
import { sharedTags } from "./tags.js";

type SnapshotPort = Pick<
  BlockStorage,
  "createSnapshot" | "getSnapshot" | "findSnapshotByName" | "listSnapshots" | "deleteSnapshot"
>;

/** Every snapshot of one volume, page by page; none when the volume is gone. */
async function allSnapshotsOf(
  client: DigitalOceanClient,
  volumeId: string,
  request: RequestOptions,
): Promise<DoSnapshot[]> {
  const found: DoSnapshot[] = [];
  for (let page = 1; ; page += 1) {
    const listed = await orUndefined(
      client.listSnapshots(volumeId, { page, perPage: MAX_PER_PAGE }, request),
    );
    if (listed === undefined) return found;
    found.push(...listed.items);
    if (!listed.hasNext) return found;
  }
}

/**
 * Every volume snapshot of the account. The description lists snapshots per volume only, so this
 * walks every volume: one request per 200 volumes and one per volume. Only what needs snapshots
 * of all volumes comes here (ListSnapshots without a source volume, a lookup by name alone).
 */
async function allSnapshots(client: DigitalOceanClient, request: RequestOptions): Promise<DoSnapshot[]> {
  const found: DoSnapshot[] = [];
  for (let page = 1; ; page += 1) {
    const volumes = await client.listVolumes({ page, perPage: MAX_PER_PAGE }, request);
    for (const volume of volumes.items) {
      if (volume.id !== undefined) found.push(...(await allSnapshotsOf(client, volume.id, request)));
    }
    if (!volumes.hasNext) return found;
  }
}

/** How many snapshot names (with their ids) the adapter remembers, so a lookup by name costs one read. */
const KNOWN_SNAPSHOTS_LIMIT = 4_096;

/**
 * The port's snapshot half over DigitalOcean's volume snapshots. A snapshot is made synchronously
 * and is ready when the create answers. No idempotency keys here either: a create that lost its
 * answer or is refused because the name is taken looks the name up among the volume's snapshots.
 * A lookup by name alone (no volume to look in) walks every volume, unless the adapter made or saw
 * a snapshot of that name: then it reads that snapshot, and walks only when it is gone.
 */
export function digitalOceanSnapshots(client: DigitalOceanClient, now: () => number): SnapshotPort {
  const known = new Map<string, string>();
  const remember = (snapshot: DoSnapshot): Snapshot => {
    known.delete(snapshot.name);
    known.set(snapshot.name, snapshot.id);
    if (known.size > KNOWN_SNAPSHOTS_LIMIT) known.delete(known.keys().next().value as string);
    return toSnapshot(snapshot);
  };

  const findByName = async (name: string, request: RequestOptions): Promise<DoSnapshot | undefined> => {
    const id = known.get(name);
    const seen = id === undefined ? undefined : await orUndefined(client.getSnapshot(id, request));
    if (seen?.name === name) return seen;
    return (await allSnapshots(client, request)).find((s) => s.name === name);
  };

  const findOfVolume = async (volumeId: string, name: string, request: RequestOptions) =>
    (await allSnapshotsOf(client, volumeId, request)).find((s) => s.name === name);

  const create = async (
    volumeId: string,
    name: string,
    tags: Record<string, string>,
    request: RequestOptions,
  ): Promise<Snapshot> => {
    try {
      return remember(
        await client.createSnapshot(volumeId, { name, tags: sharedTags("tags", tags) }, request),
      );
    } catch (error) {
      if (!(isStatus(error, 409, 422) || answerLost(error))) throw error;
      const existing = await findOfVolume(volumeId, name, request);
      if (existing === undefined) throw error;
      return remember(existing);
    }
  };

  return {
    async createSnapshot(input, options) {
      if (!isUuid(input.sourceVolumeId)) {
        throw notFound(`source_volume_id: volume ${input.sourceVolumeId} does not exist`);
      }
      const request = requestOptions(options, now);
      return mapped(create(input.sourceVolumeId, digitalOceanName(input.name), input.tags, request));
    },
    async getSnapshot(id, options) {
      if (id === "") return undefined;
      const snapshot = await mapped(orUndefined(client.getSnapshot(id, requestOptions(options, now))));
      return snapshot && remember(snapshot);
    },
    async findSnapshotByName(name, options) {
      const found = await mapped(findByName(digitalOceanName(name), requestOptions(options, now)));
      return found && remember(found);
    },
    async listSnapshots(page, options) {
      const number = pageNumberOf(page.pageToken);
      const perPage = Math.min(page.limit ?? MAX_PER_PAGE, MAX_PER_PAGE);
      const request = requestOptions(options, now);
      const source = page.sourceVolumeId;
      if (source !== undefined) {
        if (!isUuid(source)) return { items: [] };
        const listed = await mapped(
          orUndefined(client.listSnapshots(source, { page: number, perPage }, request)),
        );
        if (listed === undefined) return { items: [] };
        return {
          items: listed.items.map(toSnapshot),
          nextPageToken: listed.hasNext ? String(number + 1) : undefined,
        };
      }
      // Without a source volume the token is a page of the walked list, in pages of `perPage`.
      // Every page walks the account again, so a caller that set no limit gets the walk whole.
      const all = await mapped(allSnapshots(client, request));
      if (page.limit === undefined && page.pageToken === undefined) return { items: all.map(toSnapshot) };
      const start = (number - 1) * perPage;
      return {
        items: all.slice(start, start + perPage).map(toSnapshot),
        nextPageToken: start + perPage < all.length ? String(number + 1) : undefined,
      };
    },
    async deleteSnapshot(id, options) {
      if (id === "") return;
      await mapped(orUndefined(client.deleteSnapshot(id, requestOptions(options, now))));
      for (const [name, knownId] of known) if (knownId === id) known.delete(name);
    },
  };
}
