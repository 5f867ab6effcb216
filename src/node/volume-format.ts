import { failedPrecondition, internal } from "../shared/errors.js";
import type { FoundDevice } from "./device-discovery.js";
import type { DeviceContents } from "./device-probe.js";
import type { FsType } from "./filesystem-type.js";
import { mountedSinceMkfs } from "./filesystem-use.js";
import type { FormatRecord } from "./format-journal.js";
import { mkfsCommand } from "./mkfs-options.js";
import type { NodeContext } from "./node-context.js";
import type { StageVolumeRequest } from "./node-requests.js";

/**
 * Makes sure the device holds the requested filesystem before it is mounted: formats a provably
 * blank device, redoes a format of its own that was interrupted, refuses anything else it must
 * not touch, and grows an ext4 that is smaller than its device while it is still unmounted.
 */
export async function prepareFilesystem(
  context: NodeContext,
  request: StageVolumeRequest,
  fsType: FsType,
  device: FoundDevice,
): Promise<void> {
  const { logger, journal } = context;
  const deviceBytes = await deviceSize(context, device);
  const contents = await context.probe.contents(device.path, deviceBytes);
  const interrupted = await journal.find(request.volumeId);
  if (interrupted !== undefined) {
    const stale = await staleRecord(context, device.path, contents, interrupted);
    if (stale !== undefined) {
      logger.warn(
        { volumeId: request.volumeId, interrupted, found: contents },
        `dropping the record of an interrupted format: ${stale}`,
      );
      await journal.end(request.volumeId);
    } else if (!request.sharedReadOnly) {
      logger.warn(
        { volumeId: request.volumeId, device: device.path, interrupted },
        "a format of this volume was interrupted; formatting it again",
      );
      await format(context, request, fsType, device, true);
      return;
    }
  }
  if (contents.kind === "blank" && request.sharedReadOnly) {
    throw failedPrecondition(
      `device ${device.path} of volume ${request.volumeId} is blank: a MULTI_NODE_READER_ONLY volume is only ever mounted read-only, so it has no filesystem to serve and none is made; create it with content (from a snapshot or a clone) or use it once with a writer mode`,
    );
  }
  if (contents.kind === "other") {
    throw failedPrecondition(
      `device ${device.path} of volume ${request.volumeId} holds ${contents.description}; refusing to format or mount it as ${fsType}`,
    );
  }
  if (contents.kind === "blank") {
    await format(context, request, fsType, device, false);
    return;
  }
  if (contents.fsType !== fsType) {
    throw failedPrecondition(
      `device ${device.path} of volume ${request.volumeId} already holds a ${contents.fsType} filesystem but ${fsType} was requested; nothing was changed`,
    );
  }
  if (fsType === "ext4" && !request.readOnly) {
    const fsBytes = await context.resizer.filesystemBytes("ext4", device.path);
    if (context.resizer.needsGrowth(fsBytes, deviceBytes)) {
      logger.info(
        { volumeId: request.volumeId, fsBytes, deviceBytes },
        "growing ext4 offline before mounting",
      );
      await context.discovery.reprove(request.volumeId, request.hint, device, "growing its ext4 offline");
      await context.resizer.growExt4Offline(device.path);
    }
  }
}

/**
 * Why the journal's record no longer proves the device to be the driver's own half-done format,
 * or undefined while it still does. A complete filesystem with another UUID was made by somebody
 * else since. One with the record's UUID that has been mounted since is a format that finished
 * (the plugin died before it removed the record) and was then used, on this node or on another
 * the volume moved to: formatting it again would destroy what was written to it.
 */
async function staleRecord(
  context: NodeContext,
  device: string,
  contents: DeviceContents,
  record: FormatRecord,
): Promise<string | undefined> {
  if (contents.kind !== "filesystem") return undefined;
  if (contents.uuid !== record.uuid) return "the device has been formatted since";
  if (await mountedSinceMkfs(context.exec, device, contents.fsType)) {
    return "that format finished, and its filesystem has been mounted since";
  }
  return undefined;
}

export async function deviceSize(context: NodeContext, device: FoundDevice): Promise<bigint> {
  const size = await context.sysfs.sizeBytes(device);
  if (size === undefined) throw internal(`cannot read the size of device ${device.path}`);
  return size;
}

async function format(
  context: NodeContext,
  request: StageVolumeRequest,
  fsType: FsType,
  device: FoundDevice,
  again: boolean,
): Promise<void> {
  const { exec, logger, metrics, journal, clock } = context;
  const [command, args] = mkfsCommand(fsType, request.mkfsOptions, device.path);
  // The UUID is chosen here and journalled, so a later stage can tell the filesystem this format
  // made (complete or not) from one somebody else made since.
  const uuid = context.newUuid();
  args.splice(args.length - 1, 0, ...(fsType === "ext4" ? ["-U", uuid] : ["-m", `uuid=${uuid}`]));
  // mkfs.xfs refuses a device holding an xfs signature without -f, and an interrupted mkfs.xfs can
  // leave one behind; only a format the journal proves to be the driver's own gets it.
  if (again && fsType === "xfs") args.unshift("-f");
  // Proven before the journal is written, not after: a record of a format that never ran would have
  // a later stage format the volume again over anything but a filesystem it holds by then.
  await context.discovery.reprove(request.volumeId, request.hint, device, `formatting it as ${fsType}`);
  await journal.begin({
    volumeId: request.volumeId,
    device: device.path,
    fsType,
    uuid,
    startedAt: new Date(clock.now()).toISOString(),
  });
  const end = metrics.nodeFormatDuration.startTimer({ fs_type: fsType });
  logger.info({ volumeId: request.volumeId, device: device.path, command, args }, "formatting device");
  try {
    await exec.run(command, args, { timeoutMs: 600_000 });
    end({ result: "success" });
  } catch (error) {
    end({ result: "error" });
    metrics.nodeErrors.inc({ operation: "format", kind: "Internal" });
    throw internal(
      `formatting ${device.path} as ${fsType} failed (the next NodeStageVolume formats it again): ${(error as Error).message}`,
      error,
    );
  }
  await journal.end(request.volumeId);
}
