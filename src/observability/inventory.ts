import type { Gauge } from "prom-client";
import { withDeadline } from "./deadline.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/**
 * Counts of driver-managed resources (tagged `ballast.dev/managed-by`), wired by the controller
 * to the cloud client. Each call is one paginated listing; statuses are the cloud's own status
 * values (a fixed enum in the API), so the `status` label stays bounded.
 */
export interface InventorySource {
  countVolumes(signal: AbortSignal): Promise<{ byStatus: Record<string, number>; attachments: number }>;
  countSnapshots(signal: AbortSignal): Promise<{ byStatus: Record<string, number> }>;
}

export interface InventoryRefresherOptions {
  source: InventorySource;
  metrics: Metrics;
  logger: Logger;
  /** Time between refreshes; listing everything is not free, so minutes rather than seconds. */
  intervalMs?: number;
  /** Bound on one listing, so a hung cloud cannot stack refreshes. */
  timeoutMs?: number;
}

export interface InventoryRefresher {
  /** Refreshes now (or joins the refresh already running); never rejects. */
  refresh(): Promise<void>;
  stop(): void;
}

function setByStatus(gauge: Gauge<"status">, byStatus: Record<string, number>): void {
  gauge.reset();
  for (const [status, count] of Object.entries(byStatus)) gauge.set({ status }, count);
}

/**
 * Keeps the inventory gauges (`ballast_managed_volumes`, `ballast_managed_snapshots`,
 * `ballast_attachments`) current from a background timer, off the RPC path and off the scrape
 * path. A failed listing keeps the previous values of that gauge and is logged, never thrown;
 * `ballast_inventory_last_success_timestamp_seconds` tells how old the values are and
 * `ballast_inventory_refreshes_total{result}` counts refreshes that completed or failed.
 */
export function startInventoryRefresher(options: InventoryRefresherOptions): InventoryRefresher {
  const { source, metrics, logger } = options;
  const intervalMs = options.intervalMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let running: Promise<void> | undefined;
  let stopped = false;
  // Both series exist from the start, so `increase()` sees the first failure and an alert can
  // tell "never succeeded" from "no controller".
  metrics.inventoryRefreshes.inc({ result: "success" }, 0);
  metrics.inventoryRefreshes.inc({ result: "failure" }, 0);

  const refreshOnce = async (): Promise<void> => {
    const [volumes, snapshots] = await Promise.allSettled([
      withDeadline((signal) => source.countVolumes(signal), timeoutMs),
      withDeadline((signal) => source.countSnapshots(signal), timeoutMs),
    ]);
    if (stopped) return;
    if (volumes.status === "fulfilled") {
      setByStatus(metrics.managedVolumes, volumes.value.byStatus);
      metrics.attachments.set(volumes.value.attachments);
    } else {
      logger.warn({ err: volumes.reason }, "inventory: counting volumes failed; keeping the last values");
    }
    if (snapshots.status === "fulfilled") {
      setByStatus(metrics.managedSnapshots, snapshots.value.byStatus);
    } else {
      logger.warn({ err: snapshots.reason }, "inventory: counting snapshots failed; keeping the last values");
    }
    if (volumes.status === "fulfilled" && snapshots.status === "fulfilled") {
      metrics.inventoryLastSuccess.set(Date.now() / 1000);
      metrics.inventoryRefreshes.inc({ result: "success" });
    } else {
      metrics.inventoryRefreshes.inc({ result: "failure" });
    }
  };

  const refresh = (): Promise<void> => {
    running ??= refreshOnce()
      .catch((error: unknown) => {
        if (!stopped) metrics.inventoryRefreshes.inc({ result: "failure" });
        logger.warn({ err: error }, "inventory: refresh failed; keeping the last values");
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  void refresh();

  return {
    refresh,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
