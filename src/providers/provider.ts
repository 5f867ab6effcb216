import type { BlockStorage } from "../controller/block-storage.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";

/** The clouds Ballast can drive. `ballast` is its own API, served by the reference cloud. */
export const PROVIDER_NAMES = ["ballast", "digitalocean", "hetzner"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/**
 * What a provider's cloud can do. The CSI layer advertises exactly these and refuses the rest
 * (Unimplemented for an RPC of an unadvertised capability, InvalidArgument naming the parameter
 * and the provider for a StorageClass parameter it cannot honour). Nothing outside a provider
 * branches on its name.
 */
export interface ProviderCapabilities {
  /** CREATE_DELETE_SNAPSHOT, GET_SNAPSHOT, and restoring a volume from a snapshot. */
  snapshots: boolean;
  /** LIST_SNAPSHOTS. */
  listSnapshots: boolean;
  /** CLONE_VOLUME. */
  clones: boolean;
  /** MODIFY_VOLUME (changing tier, IOPS or throughput of an existing volume). */
  modify: boolean;
  /** MULTI_NODE_READER_ONLY access: one volume attached to several instances read-only. */
  multiAttach: boolean;
  /**
   * The cloud attaches a volume read-only when asked. Without it a read-only publish is attached
   * read-write and only the node's read-only mount keeps it so.
   */
  readOnlyAttach: boolean;
  /** The `type`, `iops` and `throughput` StorageClass parameters. */
  tiers: boolean;
  /** The `encrypted` and `kmsKeyId` StorageClass parameters. */
  encryption: boolean;
  /** GET_CAPACITY: the cloud reports free capacity per zone and tier. */
  capacity: boolean;
  /** The GroupController service (CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT). */
  groupSnapshots: boolean;
}

/** How a provider's volumes look on a node, and how a by-id link is tied to a volume. */
export interface DeviceLocator {
  /**
   * The by-id link names (not paths) the volume's device may appear under, most specific first.
   * `publishContext` is what ControllerPublishVolume returned for this volume.
   */
  linkNames(volumeId: string, publishContext: Readonly<Record<string, string>>): string[];
  /**
   * The volume a by-id link name stands for under this provider's naming, when the name follows
   * it; used to refuse a device that is also linked as another volume's.
   */
  volumeOfLinkName(name: string): string | undefined;
  /**
   * The serial the volume's device reports (virtio) and the publish context carries, when the
   * provider derives it from the volume id; the node then requires and checks it. Undefined for
   * providers whose devices carry no such serial.
   */
  deviceSerial?: ((volumeId: string) => string) | undefined;
  /**
   * What the volume's disk reports when the provider's volumes are SCSI disks named by udev's
   * `scsi-0<vendor>_<model>_<designator>`: the INQUIRY vendor and model and the vendor-specific
   * designator of VPD page 0x83. The node accepts a SCSI disk only when all three match.
   * Undefined (the function, or its answer when `publishContext` does not tell it) when the node
   * cannot know them; a SCSI disk is then refused.
   */
  scsiIdentity?:
    | ((
        volumeId: string,
        publishContext: Readonly<Record<string, string>>,
      ) => { vendor: string; model: string; designator: string } | undefined)
    | undefined;
  /**
   * The shape of the provider's volume ids, used to name the other volume a loop device's backing
   * file belongs to in a refusal; without it the refusal only says the id is missing.
   */
  volumeIdPattern?: RegExp | undefined;
}

/** Where a node learns which instance it is and in which zone, before any flag overrides it. */
export interface NodeIdentitySource {
  /** The instance id and zone of this machine, e.g. from the cloud's metadata service. */
  discover(signal?: AbortSignal): Promise<{ instanceId: string; zone: string }>;
}

/** What a provider needs to build its adapter; the shared client machinery is configured from it. */
export interface ProviderConnection {
  baseUrl: string;
  token: { file: string } | { value: string };
  caFile?: string | undefined;
  qps?: number | undefined;
  burst?: number | undefined;
  metrics: Metrics;
  logger: Logger;
  userAgent: string;
  driverName: string;
}

/** What the controller domain and the CSI layer know of a provider: its name, for messages, and what it can do. */
export type ProviderProfile = Pick<Provider, "name" | "capabilities">;

/** One cloud, as data plus small adapters. Loaded on demand, so a process carries only its own. */
export interface Provider {
  name: ProviderName;
  capabilities: ProviderCapabilities;
  /** The most volumes one instance can have attached, before unmanaged ones are subtracted. */
  maxVolumesPerInstance: number;
  /**
   * Whether the inventory gauges count this provider's snapshots. A count lists every snapshot at
   * each refresh; where the API lists them only volume by volume, that is a request per volume
   * every minute, taken from the same rate budget as the CSI calls, so such a provider says no.
   */
  inventoryCountsSnapshots: boolean;
  /** Client-side rate limit defaults that stay under the cloud's account limits. */
  defaultQps: number;
  defaultBurst: number;
  /**
   * How long Probe's answer about the cloud is remembered. Each check is a request from the
   * account's budget, taken on every controller replica whether it leads or not.
   */
  readinessTtlMs: number;
  /**
   * The adapter from the cloud's generated client to the controller's port. May resolve
   * asynchronously, so a provider can load its client (and undici) with `import()` only when a
   * process needs the API: a node that knows itself from flags or metadata never does.
   */
  blockStorage(connection: ProviderConnection): BlockStorage | Promise<BlockStorage>;
  deviceLocator: DeviceLocator;
  /** Undefined when the provider has no metadata service (the node is found by name instead). */
  nodeIdentity?: ((metadataUrl: string | undefined) => NodeIdentitySource) | undefined;
}
