import { decodeLabels } from "../../src/providers/hetzner/labels.js";
import { FaceReader, type InventoryReader, type StormVolume } from "./inventory.js";

const CSI_NAME_KEY = "ballast.dev/csi-name";
/** Hetzner's largest page. */
const PER_PAGE = 50;

interface HcloudVolume {
  id: number;
  name: string;
  status: string;
  server: number | null;
  labels: Record<string, string>;
}

interface HcloudVolumePage {
  volumes: HcloudVolume[];
  meta: { pagination: { next_page: number | null } };
}

/**
 * The CO name of a Hetzner volume: the driver keeps it in a label, base32-encoded in chunks when
 * the label grammar cannot carry it (src/providers/hetzner/labels.ts).
 */
export function hetznerCoName(labels: Readonly<Record<string, string>>): string | undefined {
  return decodeLabels(labels)[CSI_NAME_KEY];
}

/**
 * The Hetzner face read as the storm needs it: volumes from `/volumes`, servers by id (the API
 * the driver uses has no server list). Hetzner volumes have no snapshots, so there are none.
 */
export class HetznerInventory implements InventoryReader {
  private readonly http: FaceReader;

  constructor(
    apiUrl: string,
    token: string,
    private readonly serverIds: readonly string[],
  ) {
    this.http = new FaceReader(apiUrl, token);
  }

  remember(): void {}

  /** Every volume is listed, so a thorough read is the same read. */
  async read(_options: { thorough?: boolean } = {}) {
    const volumes: StormVolume[] = [];
    for (let page: number | null = 1; page !== null; ) {
      const answer: HcloudVolumePage = await this.http.must(`/volumes?page=${page}&per_page=${PER_PAGE}`);
      for (const volume of answer.volumes) {
        volumes.push({
          id: String(volume.id),
          coName: hetznerCoName(volume.labels),
          status: volume.status,
          attachments: volume.server === null ? [] : [`${volume.server} (attached)`],
        });
      }
      page = answer.meta.pagination.next_page;
    }
    const servers = await Promise.all(
      this.serverIds.map((id) =>
        this.http.must<{ server: { id: number; volumes: number[] } }>(`/servers/${id}`),
      ),
    );
    return {
      volumes,
      snapshots: [],
      instances: servers.map(({ server }) => ({
        id: String(server.id),
        attachedVolumeIds: server.volumes.map(String),
      })),
    };
  }
}
