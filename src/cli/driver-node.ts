import { createNodeHandlers } from "../csi/node-handlers.js";
import type { NodeServer } from "../generated/csi.js";
import { createExec } from "../node/exec.js";
import type { InstanceInfo, InstanceLookup } from "../node/node-identity.js";
import { createNodeService } from "../node/node-service.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { Provider } from "../providers/provider.js";
import type { CloudAccess } from "./cloud-access.js";
import type { DriverConfig, NodeConfig } from "./driver-config.js";

/**
 * Asks the cloud about this instance only when NodeGetInfo needs it, loading the lookup and the
 * provider's client on that first call: a node given its identity never loads them.
 */
function lazyInstanceLookup(access: CloudAccess, driverName: string): InstanceLookup {
  const lookup = async (): Promise<Required<InstanceLookup>> => {
    const storage = await access.storage();
    const { instanceLookup } = await import("./cloud-lookups.js");
    return instanceLookup(storage, access.provider, driverName);
  };
  return {
    findInstanceByName: async (nodeName): Promise<InstanceInfo> =>
      (await lookup()).findInstanceByName(nodeName),
    findInstanceById: async (instanceId): Promise<InstanceInfo> =>
      (await lookup()).findInstanceById(instanceId),
  };
}

/**
 * The node half of a driver process: the Node service with the provider's device naming, and its
 * identity from flags, then the provider's metadata service, then the cloud.
 */
export async function createDriverNode(
  config: DriverConfig,
  node: NodeConfig,
  provider: Provider,
  access: CloudAccess | undefined,
  deps: { logger: Logger; metrics: Metrics },
): Promise<NodeServer> {
  const { logger, metrics } = deps;
  const service = await createNodeService({
    exec: createExec(logger.child({ component: "exec" })),
    logger: logger.child({ component: "node" }),
    metrics,
    identity: {
      nodeName: node.nodeName,
      nodeId: node.nodeId,
      zone: config.zone,
      maxVolumesPerNode: node.maxVolumesPerNode,
      reportStandardZoneKey: node.reportStandardZoneKey,
      source: provider.nodeIdentity?.(node.metadataUrl),
      defaultMaxVolumes: provider.maxVolumesPerInstance,
      lookup: access && lazyInstanceLookup(access, config.driverName),
    },
    deviceLocator: provider.deviceLocator,
    byIdDir: node.byIdDir,
    stateDir: node.stateDir,
    deviceWaitMs: node.deviceWaitMs,
  });
  return createNodeHandlers(service);
}
