import { failedPrecondition } from "../shared/errors.js";
import { WELL_KNOWN_ZONE_KEY, ZONE_TOPOLOGY_KEY } from "../shared/topology-keys.js";

/** The cloud's view of this machine, found by its node name. */
export interface InstanceInfo {
  id: string;
  zone: string;
  /** The instance type's attach limit. */
  maxAttachedVolumes: number;
  /** Attached volumes not tagged `ballast.dev/managed-by` = the driver name (boot disk, others' disks). */
  unmanagedAttachedVolumeIds: string[];
}

/** Finds an instance through the block-storage API; the lead wires it to the cloud client. */
export interface InstanceLookup {
  findInstanceByName(nodeName: string): Promise<InstanceInfo>;
}

/**
 * Where NodeGetInfo's answer comes from: `nodeId`/`zone`/`maxVolumesPerNode` (the `--node-id`,
 * `--zone`, `--max-volumes-per-node` flags) override; whatever is missing is asked of the cloud
 * by `nodeName`.
 */
export interface NodeIdentityConfig {
  nodeName?: string;
  nodeId?: string;
  zone?: string;
  maxVolumesPerNode?: number;
  lookup?: InstanceLookup;
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
  if (config.lookup === undefined || !config.nodeName) {
    throw failedPrecondition(
      "node identity incomplete: set --node-id, --zone and --max-volumes-per-node, or give --node-name and a cloud to look the instance up in",
    );
  }
  const instance = await config.lookup.findInstanceByName(config.nodeName);
  const available = instance.maxAttachedVolumes - instance.unmanagedAttachedVolumeIds.length;
  if (maxVolumesPerNode === undefined && available < 1) {
    // CSI reads 0 as "unlimited", so a full instance must fail rather than report 0.
    throw failedPrecondition(
      `instance ${instance.id} allows ${instance.maxAttachedVolumes} attached volumes and ${instance.unmanagedAttachedVolumeIds.length} are taken by volumes this driver does not manage (${instance.unmanagedAttachedVolumeIds.join(", ")}); no room for Ballast volumes`,
    );
  }
  const resolvedZone = zone ?? instance.zone;
  return {
    nodeId: nodeId ?? instance.id,
    zone: resolvedZone,
    maxVolumesPerNode: maxVolumesPerNode ?? available,
    topology: topologyOf(resolvedZone, config),
  };
}
