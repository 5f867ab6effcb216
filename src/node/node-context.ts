import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { Clock } from "./clock.js";
import type { DeviceDiscovery } from "./device-discovery.js";
import type { DeviceProbe } from "./device-probe.js";
import type { Exec } from "./exec.js";
import type { FilesystemResizer } from "./filesystem-resizer.js";
import type { FormatJournal } from "./format-journal.js";
import type { HostFs } from "./host-fs.js";
import type { MountState } from "./mount-state.js";
import type { MountTable } from "./mount-table.js";
import type { Mounter } from "./mounter.js";
import type { StageRecords } from "./stage-records.js";
import type { Sysfs } from "./sysfs.js";

/** Everything a node operation may use: the host behind interfaces, and the node's helpers. */
export interface NodeContext {
  host: HostFs;
  exec: Exec;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  sysfs: Sysfs;
  mounts: MountTable;
  mounter: Mounter;
  resizer: FilesystemResizer;
  discovery: DeviceDiscovery;
  probe: DeviceProbe;
  journal: FormatJournal;
  /** The publish context each volume was staged with (see StageRecords). */
  records: StageRecords;
  state: MountState;
  byIdDir: string;
  /** A fresh filesystem UUID (random in production, predictable in tests). */
  newUuid: () => string;
}
