import type { VolumeType } from "../../src/controller/block-storage.js";
import { DIGITALOCEAN_VOLUME_TYPES } from "../../src/providers/digitalocean/resources.js";
import { decodeLabels } from "../../src/providers/hetzner/labels.js";
import { HETZNER_VOLUME_TYPES } from "../../src/providers/hetzner/resources.js";
import { digitalOceanCoName } from "../storm/inventory-digitalocean.js";
import type { CloudVolumeType } from "./cloud-api.js";
import type { CloudView, ConfiguredInstance, FaceHttp, ViewSnapshot, ViewVolume } from "./cloud-view.js";

const GiB = 1024 ** 3;
const CSI_NAME_KEY = "ballast.dev/csi-name";

/**
 * The provider's own volume types, as the driver knows them: the faces have no catalog endpoint,
 * and these are the limits the driver must enforce.
 */
function typesOf(types: readonly VolumeType[]): CloudVolumeType[] {
  return types.map(({ name, minSizeBytes, maxSizeBytes, sizeGranularityBytes, multiAttach }) => ({
    name,
    minSizeBytes,
    maxSizeBytes,
    sizeGranularityBytes,
    multiAttach,
  }));
}

interface DoVolume {
  id: string;
  name: string;
  description?: string;
  size_gigabytes: number;
  droplet_ids?: number[] | null;
}

interface DoSnapshot {
  id: string;
  name: string;
  resource_id: string | null;
}

interface DoPage {
  links?: { pages?: { next?: string } };
}

/** DigitalOcean: volumes listed, snapshots per volume or by id, droplets by id. */
export function digitalOceanView(
  http: FaceHttp,
  instances: readonly ConfiguredInstance[],
  maxPerDroplet: number,
): CloudView {
  const toVolume = (volume: DoVolume): ViewVolume => ({
    id: volume.id,
    coName: digitalOceanCoName(volume),
    sizeBytes: volume.size_gigabytes * GiB,
    type: DIGITALOCEAN_VOLUME_TYPES[0]?.name ?? "",
    attachedTo: (volume.droplet_ids ?? []).map(String),
  });
  const toSnapshot = (snapshot: DoSnapshot): ViewSnapshot => ({
    id: snapshot.id,
    name: snapshot.name,
    sourceVolumeId: snapshot.resource_id ?? "",
  });
  return {
    async volumes() {
      const found: ViewVolume[] = [];
      for (let page = 1; ; page += 1) {
        const answer = await http.must<DoPage & { volumes: DoVolume[] }>(
          `/v2/volumes?page=${page}&per_page=200`,
        );
        found.push(...answer.volumes.map(toVolume));
        if (answer.links?.pages?.next === undefined) return found;
      }
    },
    async volume(id) {
      const answer = await http.get<{ volume: DoVolume }>(`/v2/volumes/${id}`);
      return answer && toVolume(answer.volume);
    },
    async snapshotsOf(volumeId) {
      const answer = await http.get<{ snapshots: DoSnapshot[] }>(
        `/v2/volumes/${volumeId}/snapshots?per_page=200`,
      );
      return (answer?.snapshots ?? []).map(toSnapshot);
    },
    async snapshot(id) {
      const answer = await http.get<{ snapshot: DoSnapshot }>(`/v2/volumes/snapshots/${id}`);
      return answer && toSnapshot(answer.snapshot);
    },
    instances: () =>
      Promise.all(
        instances.map(async ({ id, zone }) => {
          const { droplet } = await http.must<{ droplet: { volume_ids: string[] } }>(`/v2/droplets/${id}`);
          return { id, zone, maxAttachedVolumes: maxPerDroplet, attachedVolumeIds: droplet.volume_ids };
        }),
      ),
    volumeTypes: async () => typesOf(DIGITALOCEAN_VOLUME_TYPES),
  };
}

interface HcloudVolume {
  id: number;
  size: number;
  server: number | null;
  labels: Record<string, string>;
}

/** Hetzner: volumes listed or by id, servers by id; no snapshots at all. */
export function hetznerView(
  http: FaceHttp,
  instances: readonly ConfiguredInstance[],
  maxPerServer: number,
): CloudView {
  const toVolume = (volume: HcloudVolume): ViewVolume => ({
    id: String(volume.id),
    coName: decodeLabels(volume.labels)[CSI_NAME_KEY],
    sizeBytes: volume.size * GiB,
    type: HETZNER_VOLUME_TYPES[0]?.name ?? "",
    attachedTo: volume.server === null ? [] : [String(volume.server)],
  });
  return {
    async volumes() {
      const found: ViewVolume[] = [];
      for (let page: number | null = 1; page !== null; ) {
        const answer: { volumes: HcloudVolume[]; meta: { pagination: { next_page: number | null } } } =
          await http.must(`/volumes?page=${page}&per_page=50`);
        found.push(...answer.volumes.map(toVolume));
        page = answer.meta.pagination.next_page;
      }
      return found;
    },
    async volume(id) {
      const answer = await http.get<{ volume: HcloudVolume }>(`/volumes/${id}`);
      return answer && toVolume(answer.volume);
    },
    snapshotsOf: async () => [],
    snapshot: async () => undefined,
    instances: () =>
      Promise.all(
        instances.map(async ({ id, zone }) => {
          const { server } = await http.must<{ server: { volumes: number[] } }>(`/servers/${id}`);
          return {
            id,
            zone,
            maxAttachedVolumes: maxPerServer,
            attachedVolumeIds: server.volumes.map(String),
          };
        }),
      ),
    volumeTypes: async () => typesOf(HETZNER_VOLUME_TYPES),
  };
}
