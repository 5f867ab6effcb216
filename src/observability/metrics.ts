import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { InFlightTracker } from "./in-flight-tracker.js";

/** Volumes of the driver's mounted on this node, as the node plugin counts them. */
export interface NodeVolumeCounts {
  staged: number;
  published: number;
}

/**
 * Every Prometheus metric Ballast exports, on one registry per process. Components receive the
 * instance they need; nothing registers on prom-client's global registry. Labels are bounded:
 * method names, gRPC codes, cloud operation ids, HTTP status classes, fixed kinds — never ids.
 */
export class Metrics {
  readonly registry: Registry;

  readonly csiOperations: Counter<"method" | "code">;
  readonly csiOperationDuration: Histogram<"method" | "code">;
  readonly csiInFlight: Gauge<"method">;
  readonly csiAborted: Counter<"method">;
  /** Start times behind `csiOldestInFlight`; the gRPC instrumentation records into it. */
  readonly csiInFlightTracker: InFlightTracker;
  readonly csiOldestInFlight: Gauge<"method">;

  readonly cloudRequests: Counter<"operation" | "status">;
  readonly cloudRequestDuration: Histogram<"operation">;
  readonly cloudRetries: Counter<"operation" | "reason">;
  readonly cloudThrottles: Counter<"operation">;
  readonly cloudInFlight: Gauge<"operation">;
  readonly cloudRateLimiterWait: Histogram;
  readonly cloudOperationWait: Histogram<"kind" | "result">;

  readonly nodeDeviceWait: Histogram<"result">;
  readonly nodeFormatDuration: Histogram<"fs_type" | "result">;
  readonly nodeMountDuration: Histogram<"kind" | "result">;
  readonly nodeResizeDuration: Histogram<"fs_type" | "result">;
  readonly nodeErrors: Counter<"operation" | "kind">;
  readonly nodeVolumesStaged: Gauge;
  readonly nodeVolumesPublished: Gauge;
  readonly nodeStaleMountRepairs: Counter;

  readonly managedVolumes: Gauge<"status">;
  readonly managedSnapshots: Gauge<"status">;
  readonly attachments: Gauge;
  readonly inventoryLastSuccess: Gauge;
  readonly inventoryRefreshes: Counter<"result">;

  private countNodeVolumes?: () => Promise<NodeVolumeCounts | undefined>;
  private pendingNodeVolumeCount?: Promise<void>;

  /**
   * Where the node's volume gauges come from. They are counted when scraped, so no RPC pays for
   * re-reading every device link and the mount table; one count serves both gauges of a scrape.
   */
  countNodeVolumesWith(count: () => Promise<NodeVolumeCounts | undefined>): void {
    this.countNodeVolumes = count;
  }

  private collectNodeVolumes(): Promise<void> | undefined {
    const count = this.countNodeVolumes;
    if (count === undefined) return undefined;
    this.pendingNodeVolumeCount ??= count()
      .then((counts) => {
        if (counts === undefined) return;
        this.nodeVolumesStaged.set(counts.staged);
        this.nodeVolumesPublished.set(counts.published);
      })
      .finally(() => {
        this.pendingNodeVolumeCount = undefined;
      });
    return this.pendingNodeVolumeCount;
  }

  constructor(options: { defaultMetrics?: boolean; now?: () => number } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    // Unprefixed, as every Prometheus client exports them: standard dashboards and alerts query
    // `process_resident_memory_bytes`, not a per-application name.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const rpcBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    const fastBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    const slowBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
    // The node waits up to 30 s for a device by default (configurable); buckets past that keep a
    // timed-out wait apart from a slow one.
    const deviceWaitBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120];

    this.csiOperations = new Counter({
      name: "ballast_csi_operations_total",
      help: "CSI RPCs completed, by method and gRPC status code.",
      labelNames: ["method", "code"],
      registers,
    });
    this.csiOperationDuration = new Histogram({
      name: "ballast_csi_operation_duration_seconds",
      help: "Duration of CSI RPCs, by method and gRPC status code.",
      labelNames: ["method", "code"],
      buckets: rpcBuckets,
      registers,
    });

    const tracker = new InFlightTracker(options.now);
    this.csiInFlightTracker = tracker;
    // Read from the tracker when scraped: an RPC records its start and end once, in the tracker.
    this.csiInFlight = new Gauge({
      name: "ballast_csi_operations_in_flight",
      help: "CSI RPCs currently being served, by method.",
      labelNames: ["method"],
      registers,
      collect() {
        for (const [method, count] of tracker.counts()) this.set({ method }, count);
      },
    });
    this.csiAborted = new Counter({
      name: "ballast_csi_inflight_conflicts_total",
      help: "CSI RPCs answered Aborted because another operation on the same volume or snapshot was in flight.",
      labelNames: ["method"],
      registers,
    });
    this.csiOldestInFlight = new Gauge({
      name: "ballast_csi_oldest_operation_age_seconds",
      help: "Age of the oldest CSI RPC still being served, by method (0 when none is in flight).",
      labelNames: ["method"],
      registers,
      collect() {
        for (const [method, age] of tracker.oldestAgeSeconds()) this.set({ method }, age);
      },
    });

    this.cloudRequests = new Counter({
      name: "ballast_cloud_requests_total",
      help: "Block-storage API requests made (every attempt), by operation and HTTP status (or 'error' when no response arrived).",
      labelNames: ["operation", "status"],
      registers,
    });
    this.cloudRequestDuration = new Histogram({
      name: "ballast_cloud_request_duration_seconds",
      help: "Duration of block-storage API request attempts, by operation.",
      labelNames: ["operation"],
      buckets: fastBuckets,
      registers,
    });
    this.cloudRetries = new Counter({
      name: "ballast_cloud_retries_total",
      help: "Block-storage API requests retried, by operation and reason (status code or network error class).",
      labelNames: ["operation", "reason"],
      registers,
    });
    this.cloudThrottles = new Counter({
      name: "ballast_cloud_throttled_total",
      help: "Block-storage API responses with HTTP 429 (rate limited), by operation.",
      labelNames: ["operation"],
      registers,
    });
    this.cloudInFlight = new Gauge({
      name: "ballast_cloud_requests_in_flight",
      help: "Block-storage API requests currently in flight, by operation.",
      labelNames: ["operation"],
      registers,
    });
    this.cloudRateLimiterWait = new Histogram({
      name: "ballast_cloud_rate_limiter_wait_seconds",
      help: "Time requests waited for the client-side rate limiter before being sent.",
      buckets: fastBuckets,
      registers,
    });
    this.cloudOperationWait = new Histogram({
      name: "ballast_cloud_operation_wait_seconds",
      help: "Time spent waiting for asynchronous cloud work to finish, by kind of work and result.",
      labelNames: ["kind", "result"],
      buckets: slowBuckets,
      registers,
    });

    this.nodeDeviceWait = new Histogram({
      name: "ballast_node_device_wait_seconds",
      help: "Time NodeStageVolume waited for the volume's device to appear, by result (found, timeout, mismatch).",
      labelNames: ["result"],
      buckets: deviceWaitBuckets,
      registers,
    });
    this.nodeFormatDuration = new Histogram({
      name: "ballast_node_format_duration_seconds",
      help: "Duration of mkfs on blank devices, by filesystem type and result.",
      labelNames: ["fs_type", "result"],
      buckets: slowBuckets,
      registers,
    });
    this.nodeMountDuration = new Histogram({
      name: "ballast_node_mount_duration_seconds",
      help: "Duration of mount operations, by kind (stage, publish, block, unmount) and result.",
      labelNames: ["kind", "result"],
      buckets: fastBuckets,
      registers,
    });
    this.nodeResizeDuration = new Histogram({
      name: "ballast_node_resize_duration_seconds",
      help: "Duration of filesystem growth, by filesystem type and result.",
      labelNames: ["fs_type", "result"],
      buckets: slowBuckets,
      registers,
    });
    this.nodeErrors = new Counter({
      name: "ballast_node_errors_total",
      help: "Node operation failures, by operation (device_wait, format, mount, unmount, resize, stats) and error kind.",
      labelNames: ["operation", "kind"],
      registers,
    });
    this.nodeVolumesStaged = new Gauge({
      name: "ballast_node_volumes_staged",
      help: "Volumes currently staged on this node (from the mount table).",
      registers,
      collect: () => this.collectNodeVolumes(),
    });
    this.nodeVolumesPublished = new Gauge({
      name: "ballast_node_volumes_published",
      help: "Volume publications (target paths) currently mounted on this node (from the mount table).",
      registers,
      collect: () => this.collectNodeVolumes(),
    });
    this.nodeStaleMountRepairs = new Counter({
      name: "ballast_node_stale_mount_repairs_total",
      help: "Stale or corrupted mounts found and unmounted before being redone.",
      registers,
    });

    this.managedVolumes = new Gauge({
      name: "ballast_managed_volumes",
      help: "Volumes in the cloud managed by this driver, by status (refreshed periodically by the controller).",
      labelNames: ["status"],
      registers,
    });
    this.managedSnapshots = new Gauge({
      name: "ballast_managed_snapshots",
      help: "Snapshots in the cloud managed by this driver, by status (refreshed periodically by the controller).",
      labelNames: ["status"],
      registers,
    });
    this.attachments = new Gauge({
      name: "ballast_attachments",
      help: "Volume attachments of driver-managed volumes (refreshed periodically by the controller).",
      registers,
    });
    this.inventoryLastSuccess = new Gauge({
      name: "ballast_inventory_last_success_timestamp_seconds",
      help: "Unix time of the controller's last complete inventory refresh (managed volumes, snapshots, attachments).",
      registers,
    });
    // Labelled, so node processes (which never refresh) export no series: alerts on it concern
    // controllers only, including one that has never completed a refresh.
    this.inventoryRefreshes = new Counter({
      name: "ballast_inventory_refreshes_total",
      help: "Controller inventory refreshes, by result (success: volumes and snapshots both listed; failure: either listing failed).",
      labelNames: ["result"],
      registers,
    });
  }
}
