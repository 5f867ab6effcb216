import { createIdentityHandlers } from "../csi/identity-handlers.js";
import { type CsiServer, startCsiServer } from "../csi/server.js";
import { instrumentService } from "../observability/grpc-instrumentation.js";
import { type ObservabilityServer, startObservabilityServer } from "../observability/http-server.js";
import type { InventoryRefresher } from "../observability/inventory.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { readinessFromChecks } from "../observability/readiness.js";
import type { ProviderConnection } from "../providers/provider.js";
import { loadProvider } from "../providers/registry.js";
import { CloudAccess } from "./cloud-access.js";
import type { CloudConfig, DriverConfig } from "./driver-config.js";

export interface DriverDeps {
  logger: Logger;
  metrics: Metrics;
  vendorVersion: string;
}

export interface RunningDriver {
  csi: CsiServer;
  observability?: ObservabilityServer | undefined;
  /** Drains the CSI server (bounded by the config's drain timeout) and releases everything. */
  stop(): Promise<void>;
}

function connectionOf(
  cloud: CloudConfig,
  config: DriverConfig,
  deps: DriverDeps,
  defaults: { qps: number; burst: number },
): ProviderConnection {
  return {
    baseUrl: cloud.url,
    token: cloud.token,
    caFile: cloud.caFile,
    qps: cloud.qps ?? defaults.qps,
    burst: cloud.burst ?? defaults.burst,
    metrics: deps.metrics,
    logger: deps.logger.child({ component: "cloud-client" }),
    userAgent: `ballast/${deps.vendorVersion}`,
    driverName: config.driverName,
  };
}

/**
 * Builds and starts one driver process (controller, node or all) from a validated config. Only
 * the chosen provider is loaded, and each half of the driver by `import()` when the mode runs it:
 * a node plugin on every node carries neither the controller nor, until it must ask the cloud
 * about itself, the provider's client.
 */
export async function startDriver(config: DriverConfig, deps: DriverDeps): Promise<RunningDriver> {
  const { logger, metrics } = deps;
  const provider = await loadProvider(config.provider ?? "ballast");
  const cloud = config.cloud;
  const access =
    cloud &&
    new CloudAccess(
      provider,
      connectionOf(cloud, config, deps, { qps: provider.defaultQps, burst: provider.defaultBurst }),
    );
  const controller =
    config.mode !== "node" && access
      ? await (await import("./driver-controller.js")).createDriverController(config, access, deps)
      : undefined;
  const nodeConfig = config.node;
  const uid = process.getuid?.();
  if (nodeConfig && uid !== undefined && uid !== 0) {
    // A warning, not a refusal: Identity and NodeGetInfo work without root, and a container may
    // run under another uid with the capabilities mount needs.
    logger.warn(
      `running as uid ${uid}, not root: NodeStageVolume and NodePublishVolume need root to format and mount, and will fail`,
    );
  }
  const nodeHandlers =
    nodeConfig &&
    (await (await import("./driver-node.js")).createDriverNode(config, nodeConfig, provider, access, deps));

  const readiness = controller?.readiness;
  const csi = await startCsiServer({
    endpoint: config.endpoint,
    logger,
    drainTimeoutMs: config.drainTimeoutMs,
    instrument: (name, impl) => instrumentService(name, impl, { metrics, logger }),
    identity: createIdentityHandlers({
      driverName: config.driverName,
      vendorVersion: deps.vendorVersion,
      controller: controller !== undefined,
      groupController: controller?.groupHandlers !== undefined,
      ready: readiness ? () => readiness.ready() : async () => true,
    }),
    controller: controller?.handlers,
    groupController: controller?.groupHandlers,
    node: nodeHandlers,
  });

  let inventory: InventoryRefresher | undefined;
  let observability: ObservabilityServer | undefined;
  try {
    inventory = controller?.startInventory();
    if (config.metricsAddress !== undefined) {
      observability = await startObservabilityServer({
        address: config.metricsAddress,
        metrics,
        logger,
        readiness: readinessFromChecks({
          csi: () => csi.checkAccepting(),
          ...(readiness && {
            cloud: async () => {
              if (!(await readiness.ready())) throw new Error("block-storage API not reachable");
            },
          }),
        }),
      });
    }
  } catch (error) {
    inventory?.stop();
    await csi.stop();
    await access?.close();
    throw error;
  }

  if (controller && cloud) controller.checkCloudAtStart(cloud.url);

  return {
    csi,
    observability,
    async stop() {
      inventory?.stop();
      await csi.stop();
      await observability?.close();
      await access?.close();
    },
  };
}
