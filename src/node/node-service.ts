import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { ballastDeviceLocator } from "../providers/ballast/device-locator.js";
import type { DeviceLocator } from "../providers/provider.js";
import { InFlightLocks } from "../shared/inflight-locks.js";
import { type Clock, systemClock } from "./clock.js";
import { checkedDeviceHint, DeviceDiscovery, type DeviceHint } from "./device-discovery.js";
import { type DeviceProbe, SystemDeviceProbe } from "./device-probe.js";
import type { Exec } from "./exec.js";
import { FilesystemResizer } from "./filesystem-resizer.js";
import { FormatJournal } from "./format-journal.js";
import { type HostFs, realHostFs } from "./host-fs.js";
import { MountState } from "./mount-state.js";
import { MountTable } from "./mount-table.js";
import { Mounter } from "./mounter.js";
import type { NodeContext } from "./node-context.js";
import { type NodeIdentity, type NodeIdentityConfig, resolveNodeIdentity } from "./node-identity.js";
import type {
  ExpandVolumeRequest,
  PublishVolumeRequest,
  StageVolumeRequest,
  UnpublishVolumeRequest,
  UnstageVolumeRequest,
  VolumeStats,
  VolumeStatsRequest,
} from "./node-requests.js";
import { asPathError } from "./path-errors.js";
import { StageRecords } from "./stage-records.js";
import { Sysfs } from "./sysfs.js";
import { expandVolume } from "./volume-expand.js";
import { publishVolume, unpublishVolume } from "./volume-publish.js";
import { stageVolume, unstageVolume } from "./volume-stage.js";
import { volumeStats } from "./volume-stats.js";

export interface NodeServiceDeps {
  exec: Exec;
  logger: Logger;
  metrics: Metrics;
  identity: NodeIdentityConfig;
  /** How the provider's devices are linked; the ballast API's naming when unset. */
  deviceLocator?: DeviceLocator;
  /** Where device links appear (the `--by-id-dir` flag). */
  byIdDir?: string;
  /** A host directory that outlives the plugin's container (the `--state-dir` flag). */
  stateDir: string;
  /** How long stage and publish wait for a device to appear (the `--device-wait` flag). */
  deviceWaitMs?: number;
  /** Path of udevadm; undefined looks for it in the usual places, null means this machine has none. */
  udevadmPath?: string | null;
  mountInfoPath?: string;
  sysfsRoot?: string;
  host?: HostFs;
  clock?: Clock;
  probe?: DeviceProbe;
  newUuid?: () => string;
}

export const DEFAULT_BY_ID_DIR = "/dev/disk/by-id";
export const DEFAULT_DEVICE_WAIT_MS = 30_000;
const UDEVADM_LOCATIONS = ["/usr/bin/udevadm", "/bin/udevadm", "/usr/sbin/udevadm", "/sbin/udevadm"];

export async function createNodeService(deps: NodeServiceDeps): Promise<NodeService> {
  const host = deps.host ?? realHostFs;
  let udevadmPath = deps.udevadmPath ?? undefined;
  if (deps.udevadmPath === undefined) {
    for (const candidate of UDEVADM_LOCATIONS) {
      if (await host.isExecutable(candidate)) {
        udevadmPath = candidate;
        break;
      }
    }
  }
  const context = nodeContext(deps, host, udevadmPath);
  deps.metrics.countNodeVolumesWith(() =>
    context.state.volumeCounts().catch((error: unknown) => {
      deps.logger.warn({ err: error }, "counting volumes from the mount table failed");
      return undefined;
    }),
  );
  return new NodeService(context, deps.identity, deps.deviceLocator ?? ballastDeviceLocator);
}

function nodeContext(deps: NodeServiceDeps, host: HostFs, udevadmPath: string | undefined): NodeContext {
  const { exec, logger, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const byIdDir = deps.byIdDir ?? DEFAULT_BY_ID_DIR;
  const sysfs = new Sysfs(host, deps.sysfsRoot);
  const mounts = new MountTable(host, deps.mountInfoPath);
  const mounter = new Mounter(exec, metrics);
  const records = new StageRecords(host, join(deps.stateDir, "stages"));
  const discovery = new DeviceDiscovery({
    byIdDir,
    locator: deps.deviceLocator ?? ballastDeviceLocator,
    host,
    clock,
    sysfs,
    records,
    exec,
    logger,
    metrics,
    waitBudgetMs: deps.deviceWaitMs ?? DEFAULT_DEVICE_WAIT_MS,
    udevadmPath,
  });
  return {
    host,
    exec,
    clock,
    logger,
    metrics,
    sysfs,
    mounts,
    mounter,
    discovery,
    byIdDir,
    resizer: new FilesystemResizer(exec, metrics),
    probe: deps.probe ?? new SystemDeviceProbe(exec, host),
    journal: new FormatJournal(host, join(deps.stateDir, "formats")),
    records,
    state: new MountState({ host, sysfs, mounts, mounter, discovery, logger, metrics, byIdDir }),
    newUuid: deps.newUuid ?? randomUUID,
  };
}

/**
 * The node half of the driver. It remembers nothing between calls but the journal of formats it
 * started and the publish context each volume was staged with: every other decision is made from
 * the kernel's mount table, sysfs and the device links, and both records live in the state
 * directory, so a restart between calls changes nothing. One operation per volume at a time, as
 * in the controller.
 */
export class NodeService {
  private readonly locks: InFlightLocks;

  constructor(
    private readonly context: NodeContext,
    private readonly identity: NodeIdentityConfig,
    private readonly locator: DeviceLocator,
  ) {
    this.locks = new InFlightLocks();
  }

  nodeInfo(): Promise<NodeIdentity> {
    return resolveNodeIdentity(this.identity);
  }

  /** The publish context checked against the volume, by the provider's device naming. */
  deviceHint(volumeId: string, publishContext: Readonly<Record<string, string>>): DeviceHint {
    return checkedDeviceHint(volumeId, publishContext, this.locator);
  }

  stageVolume(request: StageVolumeRequest): Promise<void> {
    return this.exclusive("NodeStageVolume", request.volumeId, () => stageVolume(this.context, request));
  }

  unstageVolume(request: UnstageVolumeRequest): Promise<void> {
    return this.exclusive("NodeUnstageVolume", request.volumeId, () => unstageVolume(this.context, request));
  }

  publishVolume(request: PublishVolumeRequest): Promise<void> {
    return this.exclusive("NodePublishVolume", request.volumeId, () => publishVolume(this.context, request));
  }

  unpublishVolume(request: UnpublishVolumeRequest): Promise<void> {
    return this.exclusive("NodeUnpublishVolume", request.volumeId, () =>
      unpublishVolume(this.context, request),
    );
  }

  volumeStats(request: VolumeStatsRequest): Promise<VolumeStats> {
    return volumeStats(this.context, request).catch((error: unknown) => {
      throw asPathError(error);
    });
  }

  expandVolume(request: ExpandVolumeRequest): Promise<{ capacityBytes: bigint }> {
    return this.exclusive("NodeExpandVolume", request.volumeId, () => expandVolume(this.context, request));
  }

  private async exclusive<T>(method: string, volumeId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.locks.run(method, [`volume ${volumeId} on this node`], work);
    } catch (error) {
      throw asPathError(error);
    }
  }
}
