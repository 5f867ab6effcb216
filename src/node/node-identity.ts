import type { NodeIdentitySource } from "../providers/provider.js";
import { failedPrecondition } from "../shared/errors.js";
import { WELL_KNOWN_ZONE_KEY, ZONE_TOPOLOGY_KEY } from "../shared/topology-keys.js";

/** The cloud's view of this machine, found by its node name or its instance id. */
export interface InstanceInfo {
  id: string;
  zone: string;
  /** The instance type's attach limit. */
  maxAttachedVolumes: number;
  /** Attached volumes not tagged `ballast.dev/managed-by` = the driver name (boot disk, others' disks). */
  unmanagedAttachedVolumeIds: string[];
}

/** Finds an instance through the block-storage API; the CLI wires it to the provider's port. */
export interface InstanceLookup {
  findInstanceByName(nodeName: string): Promise<InstanceInfo>;
  /** For a node that knows its id (`--node-id`, a metadata service) and still needs its zone or attach slots. */
  findInstanceById?(instanceId: string): Promise<InstanceInfo>;
}

/**
 * Where NodeGetInfo's answer comes from: `nodeId`/`zone`/`maxVolumesPerNode` (the `--node-id`,
 * `--zone`, `--max-volumes-per-node` flags) override. With `--node-id`, the cloud is asked for what
 * is missing by that id; without it, a provider's identity `source` (its metadata service) gives
 * the instance id and zone; without one, the cloud is asked by `nodeName`. The attach limit is the
 * instance's as the cloud reports it, else the provider's `defaultMaxVolumes`, minus the attached
 * volumes the driver does not manage.
 */
export interface NodeIdentityConfig {
  nodeName?: string;
  nodeId?: string;
  zone?: string;
  maxVolumesPerNode?: number;
  lookup?: InstanceLookup;
  source?: NodeIdentitySource | undefined;
  /** The provider's attach limit per instance, for when the cloud is not asked. */
  defaultMaxVolumes?: number | undefined;
  /**
   * Whether the topology also carries `topology.kubernetes.io/zone` (the
   * `--report-standard-zone-key` flag; default true). The kubelet refuses to register the driver
   * when the node's own label of that key holds another value, so clusters whose zone labels
   * differ from the cloud's zone names turn it off.
   */
  reportStandardZoneKey?: boolean | undefined;
}

export interface NodeIdentity {
  nodeId: string;
  zone: string;
  maxVolumesPerNode: number;
  /** NodeGetInfo's accessible topology segments. */
  topology: Record<string, string>;
}

function topologyOf(zone: string, config: NodeIdentityConfig): Record<string, string> {
  return (config.reportStandardZoneKey ?? true)
    ? { [ZONE_TOPOLOGY_KEY]: zone, [WELL_KNOWN_ZONE_KEY]: zone }
    : { [ZONE_TOPOLOGY_KEY]: zone };
}

export async function resolveNodeIdentity(config: NodeIdentityConfig): Promise<NodeIdentity> {
  const { nodeId, zone, maxVolumesPerNode } = config;
  if (nodeId !== undefined && zone !== undefined && maxVolumesPerNode !== undefined) {
    return { nodeId, zone, maxVolumesPerNode, topology: topologyOf(zone, config) };
  }
  if (nodeId === undefined && config.source !== undefined) {
    const found = await config.source.discover();
    const resolvedZone = zone ?? found.zone;
    return {
      nodeId: found.instanceId,
      zone: resolvedZone,
      maxVolumesPerNode: maxVolumesPerNode ?? (await limitById(found.instanceId, config)),
      topology: topologyOf(resolvedZone, config),
    };
  }
  const byId = config.lookup?.findInstanceById;
  if (nodeId !== undefined && byId !== undefined) {
    // Not every provider can find an instance by name, and the flag names it already.
    const instance = await byId.call(config.lookup, nodeId);
    const resolvedZone = zone ?? instance.zone;
    return {
      nodeId,
      zone: resolvedZone,
      maxVolumesPerNode: maxVolumesPerNode ?? roomFor(instance),
      topology: topologyOf(resolvedZone, config),
    };
  }
  if (config.lookup === undefined || !config.nodeName) {
    throw failedPrecondition(
      "node identity incomplete: set --node-id, --zone and --max-volumes-per-node, or give --node-name and a cloud to look the instance up in",
    );
  }
  const instance = await config.lookup.findInstanceByName(config.nodeName);
  const resolvedZone = zone ?? instance.zone;
  return {
    nodeId: nodeId ?? instance.id,
    zone: resolvedZone,
    maxVolumesPerNode: maxVolumesPerNode ?? roomFor(instance),
    topology: topologyOf(resolvedZone, config),
  };
}

/** The attach limit of an instance known by id: the cloud's count when it can be asked, else the provider's. */
async function limitById(instanceId: string, config: NodeIdentityConfig): Promise<number> {
  const byId = config.lookup?.findInstanceById;
  if (byId !== undefined) return roomFor(await byId.call(config.lookup, instanceId));
  if (config.defaultMaxVolumes !== undefined) return config.defaultMaxVolumes;
  throw failedPrecondition(
    `node identity incomplete: instance ${instanceId} came from the metadata service, but its attach limit did not; set --max-volumes-per-node or give a cloud to ask`,
  );
}

/** The attach slots left to the driver; CSI reads 0 as "unlimited", so a full instance fails instead. */
function roomFor(instance: InstanceInfo): number {
  const available = instance.maxAttachedVolumes - instance.unmanagedAttachedVolumeIds.length;
  if (available < 1) {
    throw failedPrecondition(
      `instance ${instance.id} allows ${instance.maxAttachedVolumes} attached volumes and ${instance.unmanagedAttachedVolumeIds.length} are taken by volumes this driver does not manage (${instance.unmanagedAttachedVolumeIds.join(", ")}); no room for Ballast volumes`,
    );
  }
  return available;
}
