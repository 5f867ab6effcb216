import { ControllerService } from "../controller/controller-service.js";
import { CloudReadiness } from "../csi/cloud-readiness.js";
import { createControllerHandlers } from "../csi/controller-handlers.js";
import { createGroupControllerHandlers } from "../csi/group-controller-handlers.js";
import type { ControllerServer, GroupControllerServer } from "../generated/csi.js";
import { type InventoryRefresher, startInventoryRefresher } from "../observability/inventory.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
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
  const service = new ControllerService({
    cloud: storage,
    provider,
    driverName: config.driverName,
    defaultZone: config.zone,
    defaultVolumeType: config.defaultVolumeType,
    onInFlightConflict: (method) => metrics.csiAborted.inc({ method }),
  });
  const readiness = new CloudReadiness(
    () => service.probeCloud({ deadline: Date.now() + PROBE_BUDGET_MS }),
    5_000,
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
