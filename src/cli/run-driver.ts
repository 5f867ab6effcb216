import { createBlockStorageClient } from "../cloud/block-storage-client.js";
import { cloudBlockStorage } from "../controller/cloud-block-storage.js";
import { ControllerService } from "../controller/controller-service.js";
import { CloudReadiness } from "../csi/cloud-readiness.js";
import { createControllerHandlers } from "../csi/controller-handlers.js";
import { createIdentityHandlers } from "../csi/identity-handlers.js";
import { createNodeHandlers } from "../csi/node-handlers.js";
import { type CsiServer, startCsiServer } from "../csi/server.js";
import { createExec } from "../node/exec.js";
import { createNodeService } from "../node/node-service.js";
import { instrumentService } from "../observability/grpc-instrumentation.js";
import { type ObservabilityServer, startObservabilityServer } from "../observability/http-server.js";
import { type InventoryRefresher, startInventoryRefresher } from "../observability/inventory.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { readinessFromChecks } from "../observability/readiness.js";
import { instanceLookup, inventorySource } from "./cloud-lookups.js";
import type { DriverConfig } from "./driver-config.js";

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

/**
 * Below /readyz's 5 s per-check limit, so a cloud that never answers is reported with the cloud
 * call's own cause instead of losing the race to the check's timeout.
 */
const PROBE_BUDGET_MS = 4_000;
/** The start-up look at the cloud is one quick call: an operator wants to hear about a wrong URL now. */
const STARTUP_CHECK_MS = 2_000;

/**
 * One call to the cloud right after start; when it fails, one warning naming the URL and the
 * cause. The driver keeps serving (Probe answers ready=false) so that a cloud outage leaves the
 * pod running NotReady instead of crash-looping.
 */
function checkCloudAtStart(check: () => Promise<void>, url: string, logger: Logger): void {
  check().catch((error: unknown) => {
    const cause = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    logger.warn(
      { url },
      `cloud ${url} is not reachable: ${cause}; serving anyway, Probe answers ready=false until it answers`,
    );
  });
}

/** Builds and starts one driver process (controller, node or all) from a validated config. */
export async function startDriver(config: DriverConfig, deps: DriverDeps): Promise<RunningDriver> {
  const { logger, metrics } = deps;
  const cloud = config.cloud;
  const client =
    cloud &&
    createBlockStorageClient({
      baseUrl: cloud.url,
      ...("file" in cloud.token ? { tokenFile: cloud.token.file } : { token: cloud.token.value }),
      caFile: cloud.caFile,
      qps: cloud.qps,
      burst: cloud.burst,
      metrics,
      logger: logger.child({ component: "cloud-client" }),
      userAgent: `ballast/${deps.vendorVersion}`,
    });
  const runsController = config.mode !== "node";
  const controllerService =
    runsController && client
      ? new ControllerService({
          cloud: cloudBlockStorage(client),
          driverName: config.driverName,
          defaultZone: config.zone,
          defaultVolumeType: config.defaultVolumeType,
          onInFlightConflict: (method) => metrics.csiAborted.inc({ method }),
        })
      : undefined;
  const cloudReadiness =
    controllerService &&
    new CloudReadiness(
      () => controllerService.probeCloud({ deadline: Date.now() + PROBE_BUDGET_MS }),
      5_000,
      Date.now,
      (error) => logger.warn({ err: error }, "cloud not reachable; Probe answers ready=false"),
    );
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
    createNodeHandlers(
      await createNodeService({
        exec: createExec(logger.child({ component: "exec" })),
        logger: logger.child({ component: "node" }),
        metrics,
        identity: {
          nodeName: nodeConfig.nodeName,
          nodeId: nodeConfig.nodeId,
          zone: config.zone,
          maxVolumesPerNode: nodeConfig.maxVolumesPerNode,
          reportStandardZoneKey: nodeConfig.reportStandardZoneKey,
          lookup: client && instanceLookup(client, config.driverName),
        },
        byIdDir: nodeConfig.byIdDir,
        stateDir: nodeConfig.stateDir,
        deviceWaitMs: nodeConfig.deviceWaitMs,
      }),
    );

  const csi = await startCsiServer({
    endpoint: config.endpoint,
    logger,
    drainTimeoutMs: config.drainTimeoutMs,
    instrument: (name, impl) => instrumentService(name, impl, { metrics, logger }),
    identity: createIdentityHandlers({
      driverName: config.driverName,
      vendorVersion: deps.vendorVersion,
      controller: runsController,
      ready: cloudReadiness ? () => cloudReadiness.ready() : async () => true,
    }),
    controller: controllerService && createControllerHandlers(controllerService),
    node: nodeHandlers,
  });

  let inventory: InventoryRefresher | undefined;
  let observability: ObservabilityServer | undefined;
  try {
    if (controllerService && client) {
      inventory = startInventoryRefresher({
        source: inventorySource(client, config.driverName),
        metrics,
        logger: logger.child({ component: "inventory" }),
      });
    }
    if (config.metricsAddress !== undefined) {
      observability = await startObservabilityServer({
        address: config.metricsAddress,
        metrics,
        logger,
        readiness: readinessFromChecks({
          csi: () => csi.checkAccepting(),
          ...(cloudReadiness && {
            cloud: async () => {
              if (!(await cloudReadiness.ready())) throw new Error("block-storage API not reachable");
            },
          }),
        }),
      });
    }
  } catch (error) {
    inventory?.stop();
    await csi.stop();
    await client?.close();
    throw error;
  }

  if (controllerService && cloud) {
    checkCloudAtStart(
      () => controllerService.probeCloud({ deadline: Date.now() + STARTUP_CHECK_MS }),
      cloud.url,
      logger,
    );
  }

  return {
    csi,
    observability,
    async stop() {
      inventory?.stop();
      await csi.stop();
      await observability?.close();
      await client?.close();
    },
  };
}
