import { setTimeout as sleep } from "node:timers/promises";
import type { CloudApi } from "../conformance/cloud-api.js";

const CSI_NAME_TAG = "ballast.dev/csi-name";

/** A volume as the storm judges it, whichever API it was read through. */
export interface StormVolume {
  id: string;
  /** The CO name the driver recorded on it (tag, description or label), if any. */
  coName: string | undefined;
  status: string;
  /** The instances it is attached to, with the attachment's state where the API shows one. */
  attachments: string[];
}

export interface StormSnapshot {
  id: string;
  coName: string | undefined;
  status: string;
}

export interface StormInstance {
  id: string;
  attachedVolumeIds: string[];
}

/** Everything of the cloud that the census and the leak and attachment checks look at. */
export interface StormInventory {
  volumes: StormVolume[];
  snapshots: StormSnapshot[];
  instances: StormInstance[];
}

/** Reads the cloud through the API the storm's driver uses. */
export interface InventoryReader {
  /**
   * One picture of the cloud. `thorough` also looks for what a listing cannot show (DigitalOcean
   * lists snapshots per volume only, so a snapshot of a deleted volume is found by its id).
   */
  read(options?: { thorough?: boolean }): Promise<StormInventory>;
  /** Ids the workers were answered with, so a thorough read can look for them by id. */
  remember(kind: "snapshot", id: string): void;
}

/** The ballast API lists everything, snapshots and instances included. */
export function ballastInventory(cloud: CloudApi): InventoryReader {
  return {
    async read() {
      const inventory = await cloud.inventory();
      return {
        volumes: inventory.volumes.map((volume) => ({
          id: volume.id,
          coName: volume.tags[CSI_NAME_TAG],
          status: volume.status,
          attachments: volume.attachments.map(
            (attachment) => `${attachment.instanceId} (${attachment.state})`,
          ),
        })),
        snapshots: inventory.snapshots.map((snapshot) => ({
          id: snapshot.id,
          coName: snapshot.tags?.[CSI_NAME_TAG] ?? snapshot.name,
          status: snapshot.status,
        })),
        instances: inventory.instances.map((instance) => ({
          id: instance.id,
          attachedVolumeIds: instance.attachedVolumeIds,
        })),
      };
    },
    remember() {},
  };
}

export class FaceRequestError extends Error {
  override readonly name = "FaceRequestError";
}

const ATTEMPTS = 10;

/**
 * GETs on another cloud's face. The storm's faults hit these reads too, and a DigitalOcean
 * inventory takes one request per volume, so each request is retried on a fault (a dropped
 * connection, 5xx, 429) or a picture would almost never be complete. A 404 resolves undefined.
 */
export class FaceReader {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  async get<T>(path: string): Promise<T | undefined> {
    const url = `${this.apiUrl}${path}`;
    let last = "";
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      if (attempt > 0) await sleep(50 * attempt);
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { authorization: `Bearer ${this.token}` },
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        last = String(error);
        continue;
      }
      const text = await response.text();
      if (response.status === 404) return undefined;
      if (response.ok) return JSON.parse(text) as T;
      last = `HTTP ${response.status}: ${text}`;
      if (response.status !== 429 && response.status < 500) break;
    }
    throw new FaceRequestError(`GET ${url}: ${last}`);
  }

  /** A GET that must find its resource. */
  async must<T>(path: string): Promise<T> {
    const answer = await this.get<T>(path);
    if (answer === undefined) throw new FaceRequestError(`GET ${this.apiUrl}${path}: HTTP 404`);
    return answer;
  }
}
