import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CloudApi, CloudVolumeType } from "./cloud-api.js";

const CSI_NAME_TAG = "ballast.dev/csi-name";

/** A volume as the cloud shows it, read through whichever API the face serves. */
export interface ViewVolume {
  id: string;
  /** The CO name the driver recorded on the volume (tag, description or label). */
  coName: string | undefined;
  sizeBytes: number;
  type: string;
  /**
   * Instances it is attached to, in whatever attachment state the API shows (ballast shows
   * attaching and detaching too; DigitalOcean and Hetzner only completed attachments).
   */
  attachedTo: string[];
}

export interface ViewSnapshot {
  id: string;
  name: string;
  sourceVolumeId: string;
}

/** An instance: what the cloud was configured with, and what is attached to it now. */
export interface ViewInstance {
  id: string;
  zone: string;
  maxAttachedVolumes: number;
  attachedVolumeIds: string[];
}

/**
 * The cloud's side of what the driver did, whatever API the face serves: what the conformance
 * tests check a gRPC answer against (a volume exists once, is attached, is gone).
 */
export interface CloudView {
  volumes(): Promise<ViewVolume[]>;
  volume(id: string): Promise<ViewVolume | undefined>;
  /** Snapshots of one volume; a cloud without snapshots has none. */
  snapshotsOf(volumeId: string): Promise<ViewSnapshot[]>;
  snapshot(id: string): Promise<ViewSnapshot | undefined>;
  instances(): Promise<ViewInstance[]>;
  /** The kinds of volume the cloud offers, with their size limits. */
  volumeTypes(): Promise<CloudVolumeType[]>;
}

/** Ballast's own API lists everything, with tags. */
export function ballastView(api: CloudApi): CloudView {
  const volumes = async (): Promise<ViewVolume[]> =>
    (await api.volumes()).map((volume) => ({
      id: volume.id,
      coName: volume.tags[CSI_NAME_TAG],
      sizeBytes: volume.sizeBytes,
      type: volume.type,
      attachedTo: volume.attachments.map((attachment) => attachment.instanceId),
    }));
  const snapshots = async (): Promise<ViewSnapshot[]> =>
    (await api.snapshots()).map(({ id, name, sourceVolumeId }) => ({ id, name, sourceVolumeId }));
  return {
    volumes,
    volume: async (id) => (await volumes()).find((volume) => volume.id === id),
    snapshotsOf: async (volumeId) =>
      (await snapshots()).filter((snapshot) => snapshot.sourceVolumeId === volumeId),
    snapshot: async (id) => (await snapshots()).find((snapshot) => snapshot.id === id),
    instances: async () =>
      (await api.instances()).map((instance) => ({
        id: instance.id,
        zone: instance.zone,
        maxAttachedVolumes: instance.maxAttachedVolumes,
        attachedVolumeIds: instance.attachedVolumeIds,
      })),
    volumeTypes: () => api.volumeTypes(),
  };
}

export interface ConfiguredInstance {
  id: string;
  zone: string;
}

/**
 * The instances the reference cloud under `ballast dev --state-dir DIR` was started with, from its
 * state file: the other clouds' APIs have no list of instances, only a read by id.
 */
export async function configuredInstances(stateDir: string): Promise<ConfiguredInstance[]> {
  const state = JSON.parse(await readFile(join(stateDir, "cloud", "state.json"), "utf8")) as {
    instances: Array<{ id: string; zone: string }>;
  };
  return state.instances.map(({ id, zone }) => ({ id, zone }));
}

/** GETs on another cloud's face; a 404 is undefined. Faults are the test's own, so none are retried. */
export class FaceHttp {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  async get<T>(path: string): Promise<T | undefined> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`GET ${this.apiUrl}${path}: HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async must<T>(path: string): Promise<T> {
    const answer = await this.get<T>(path);
    if (answer === undefined) throw new Error(`GET ${this.apiUrl}${path}: HTTP 404`);
    return answer;
  }
}
