import type { ProviderName } from "../../src/providers/provider.js";
import type { StormInventory } from "./inventory.js";
import type { RpcFigures } from "./operation-log.js";

export interface StormReport {
  options: {
    provider: ProviderName;
    workers: number;
    volumes: number;
    kills: number;
    errorRate: number;
    dataChecks: number;
    snapshotEvery: number;
    seed: number;
  };
  /** False on a cloud without snapshots (Hetzner): cycles skipped snapshot and restore. */
  snapshots: boolean;
  durationMs: number;
  cycles: { completed: number; failed: number; failures: string[] };
  rpc: RpcFigures;
  nonRetryableFailures: string[];
  kills: number;
  duplicates: { volumes: string[]; snapshots: string[] };
  leaks: { volumes: string[]; snapshots: string[] };
  attachmentsLeft: string[];
  data: { checks: number; identical: number; failures: string[] };
  census: { samples: number; failedSamples: number };
  /** Faulted answers the cloud actually served, from its request log: proof the storm blew. */
  faultsServed: { unavailable: number; rateLimited: number; dropped: number };
  passed: boolean;
}

/** What of this run is still in the cloud after every cycle ended: volumes, snapshots, attachments. */
export function leftovers(
  inventory: StormInventory,
  prefix: string,
): Pick<StormReport, "leaks" | "attachmentsLeft"> {
  const ours = (name: string | undefined) => name?.startsWith(prefix) ?? false;
  const volumeIds = new Set(inventory.volumes.map((volume) => volume.id));
  return {
    leaks: {
      volumes: inventory.volumes
        .filter((volume) => ours(volume.coName))
        .map((volume) => `${volume.id} (${volume.coName}, ${volume.status})`),
      snapshots: inventory.snapshots
        .filter((snapshot) => ours(snapshot.coName))
        .map((snapshot) => `${snapshot.id} (${snapshot.coName}, ${snapshot.status})`),
    },
    attachmentsLeft: [
      ...inventory.volumes.flatMap((volume) =>
        volume.attachments.map((attachment) => `${volume.id} on ${attachment}`),
      ),
      ...inventory.instances.flatMap((instance) =>
        instance.attachedVolumeIds
          .filter((id) => !volumeIds.has(id))
          .map((id) => `${instance.id} still lists ${id}`),
      ),
    ],
  };
}

/** Whether every figure is what a sound driver gives. */
export function judge(report: StormReport): boolean {
  const { options } = report;
  return (
    report.cycles.failed === 0 &&
    report.rpc.nonRetryable === 0 &&
    report.kills >= options.kills &&
    report.duplicates.volumes.length === 0 &&
    report.duplicates.snapshots.length === 0 &&
    report.leaks.volumes.length === 0 &&
    report.leaks.snapshots.length === 0 &&
    report.attachmentsLeft.length === 0 &&
    report.data.identical === options.dataChecks &&
    (options.errorRate === 0 || Object.values(report.faultsServed).every((count) => count > 0))
  );
}

function list(items: readonly string[], limit = 5): string {
  if (items.length === 0) return "";
  const shown = items.slice(0, limit).join("; ");
  return items.length > limit ? ` (${shown}; … ${items.length - limit} more)` : ` (${shown})`;
}

/** The figures, one per line, for a person to read. */
export function formatReport(report: StormReport): string[] {
  const { options } = report;
  const codes = Object.entries(report.rpc.failedByCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(", ");
  const failedAttempts = report.rpc.calls - report.rpc.succeeded;
  const snapshots = report.snapshots
    ? `every ${options.snapshotEvery}. with snapshot + restore`
    : "no snapshots: the cloud has none";
  const dataLine = report.snapshots ? "data after restore " : "data after reattach";
  return [
    `storm on ${options.provider}: ${options.workers} workers, ${options.volumes} volumes (${snapshots}), ${options.dataChecks} data checks, ${Math.round(options.errorRate * 100)} % cloud faults, ${options.kills} controller kills, seed ${options.seed}`,
    `  duration            ${(report.durationMs / 1000).toFixed(1)} s`,
    `  cycles              ${report.cycles.completed} completed, ${report.cycles.failed} failed${list(report.cycles.failures)}`,
    `  RPC attempts        ${report.rpc.calls}: ${report.rpc.succeeded} succeeded, ${failedAttempts} failed and retried or not${codes ? ` (${codes})` : ""}`,
    `  non-retryable       ${report.rpc.nonRetryable}${list(report.nonRetryableFailures)}`,
    `  controller kills    ${report.kills} (SIGKILL, then restart)`,
    `  duplicate names     ${report.duplicates.volumes.length} volumes, ${report.duplicates.snapshots.length} snapshots${list([...report.duplicates.volumes, ...report.duplicates.snapshots])}`,
    `  leaked after delete ${report.leaks.volumes.length} volumes, ${report.leaks.snapshots.length} snapshots${list([...report.leaks.volumes, ...report.leaks.snapshots])}`,
    `  attachments left    ${report.attachmentsLeft.length}${list(report.attachmentsLeft)}`,
    `  ${dataLine} ${report.data.identical}/${report.data.checks} identical${list(report.data.failures)}`,
    `  cloud census        ${report.census.samples} samples (${report.census.failedSamples} hit a fault and were skipped)`,
    `  faults served       ${report.faultsServed.unavailable} × 503, ${report.faultsServed.rateLimited} × 429, ${report.faultsServed.dropped} dropped connections`,
    `  result              ${report.passed ? "PASS" : "FAIL"}`,
  ];
}
