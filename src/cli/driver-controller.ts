import { ControllerService } from "../controller/controller-service.js";
import { CloudReadiness } from "../csi/cloud-readiness.js";
import { createControllerHandlers } from "../csi/controller-handlers.js";
import { createGroupControllerHandlers } from "../csi/group-controller-handlers.js";
import type { ControllerServer, GroupControllerServer } from "../generated/csi.js";
import { type InventoryRefresher, startInventoryRefresher } from "../observability/inventory.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { Provider } from "../providers/provider.js";
import type { CloudAccess } from "./cloud-access.js";
import { inventorySource } from "./cloud-lookups.js";
import type { DriverConfig } from "./driver-config.js";

/**
 * Below /readyz's 5 s per-check limit, so a cloud that never answers is reported with the cloud
 * call's own cause instead of losing the race to the check's timeout.
 */
const PROBE_BUDGET_MS = 4_000;
/** The start-up look at the cloud is one quick call: an operator wants to hear about a wrong URL now. */
const STARTUP_CHECK_MS = 2_000;
/**
 * A metadata service answers its cloud's machines in milliseconds (each request has 2 s of its
 * own); the bound keeps a controller that is not on such a machine from waiting long to serve.
 */
const ZONE_DISCOVERY_MS = 3_000;

export interface DriverController {
  handlers: ControllerServer;
  /** Only when the provider takes snapshots of several volumes at one point in time. */
  groupHandlers: GroupControllerServer | undefined;
  readiness: CloudReadiness;
  /** Starts the inventory gauges' refresher; stopped by the returned function. */
  startInventory(): InventoryRefresher;
  /** One call to the cloud right after start; a failure is one warning naming the URL and cause. */
  checkCloudAtStart(url: string): void;
}

/**
 * The zone of volumes created without topology requirements: `--zone`, else, when the provider
 * has a metadata service, the zone of the machine the controller runs on (the controller runs on
 * one of the cluster's machines, as the AWS EBS driver's controller takes its own AZ). A service
 * that does not answer leaves no default zone, with one warning: the controller still starts.
 */
export async function controllerDefaultZone(
  config: Pick<DriverConfig, "zone" | "metadataUrl">,
  provider: Pick<Provider, "name" | "nodeIdentity">,
  logger: Logger,
  timeoutMs = ZONE_DISCOVERY_MS,
): Promise<string | undefined> {
  if (provider.nodeIdentity === undefined) return config.zone;
  if (config.zone !== undefined) {
    logger.info({ zone: config.zone, source: "--zone" }, `default zone ${config.zone}, from --zone`);
    return config.zone;
  }
  const service = `the ${provider.name} metadata service at ${config.metadataUrl ?? "its own address"}`;
  try {
    const { zone } = await provider.nodeIdentity(config.metadataUrl).discover(AbortSignal.timeout(timeoutMs));
    logger.info(
      { zone, source: "metadata", metadataUrl: config.metadataUrl },
      `default zone ${zone}, this machine's zone from ${service}`,
    );
    return zone;
  } catch (error) {
    const cause = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    logger.warn(
      { metadataUrl: config.metadataUrl },
      `no default zone: ${service} did not tell this machine's zone (${cause}); volumes created without topology requirements go to the cloud's first zone; set --zone to choose it`,
    );
    return undefined;
  }
}

/**
 * The controller half of a driver process, loaded by `import()` only in controller and all mode:
 * the provider's port, the Controller service with the provider's capability set, Probe's cached
 * check of the cloud, and the inventory gauges.
 */
export async function createDriverController(
  config: DriverConfig,
  access: CloudAccess,
  deps: { logger: Logger; metrics: Metrics },
): Promise<DriverController> {
  const { logger, metrics } = deps;
  const { provider } = access;
  const storage = await access.storage();
  // A config built in code (`ballast dev`) may name the metadata service for its node only.
  const metadataUrl = config.metadataUrl ?? config.node?.metadataUrl;
  const service = new ControllerService({
    cloud: storage,
    provider,
    driverName: config.driverName,
    defaultZone: await controllerDefaultZone({ zone: config.zone, metadataUrl }, provider, logger),
    defaultVolumeType: config.defaultVolumeType,
    onInFlightConflict: (method) => metrics.csiAborted.inc({ method }),
  });
  const readiness = new CloudReadiness(
    () => service.probeCloud({ deadline: Date.now() + PROBE_BUDGET_MS }),
    provider.readinessTtlMs,
    Date.now,
    (error) => logger.warn({ err: error }, "cloud not reachable; Probe answers ready=false"),
  );
  return {
    handlers: createControllerHandlers(service),
    groupHandlers: provider.capabilities.groupSnapshots ? createGroupControllerHandlers(service) : undefined,
    readiness,
    startInventory: () =>
      startInventoryRefresher({
        source: inventorySource(storage, provider, config.driverName),
        metrics,
        logger: logger.child({ component: "inventory" }),
      }),
    checkCloudAtStart(url) {
      // The driver keeps serving (Probe answers ready=false) so that a cloud outage leaves the
      // pod running NotReady instead of crash-looping.
      service.probeCloud({ deadline: Date.now() + STARTUP_CHECK_MS }).catch((error: unknown) => {
        const cause = (error instanceof Error ? error.message : String(error)).split("\n")[0];
        logger.warn(
          { url },
          `cloud ${url} is not reachable: ${cause}; serving anyway, Probe answers ready=false until it answers`,
        );
      });
    },
  };
}
