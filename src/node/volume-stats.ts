import { notFound } from "../shared/errors.js";
import { type DeviceNumbers, sameDevice } from "./device-numbers.js";
import type { PresentDevice } from "./mount-state.js";
import type { NodeContext } from "./node-context.js";
import type { VolumeStats, VolumeStatsRequest, VolumeUsageFigures } from "./node-requests.js";

/**
 * Usage of a published or staged volume, and its condition. The path must show this volume's
 * device, or a leftover of it whose device went away (reported as abnormal); anything else at the
 * path (another volume, the host's own disk) is NotFound, never someone else's figures.
 */
export async function volumeStats(context: NodeContext, request: VolumeStatsRequest): Promise<VolumeStats> {
  const { volumeId, volumePath } = request;
  const { host, mounts, state } = context;
  const info = await host.lstat(volumePath);
  if (info === undefined) throw notFound(`volume_path ${volumePath} does not exist`);
  const present = await state.presentDevice(volumeId);

  if (info.kind === "block-device" && info.device !== undefined) {
    await requireServed(context, volumeId, volumePath, info.device, present);
    return {
      usage: await deviceUsage(context, info.device),
      condition: await condition(context, volumeId, info.device, present),
    };
  }

  const mounted = await mounts.top(volumePath);
  if (mounted === undefined) {
    const staged = request.stagingPath ? await mounts.top(request.stagingPath) : undefined;
    if (staged !== undefined && present.device !== undefined && sameDevice(staged, present.device)) {
      return {
        usage: [],
        condition: {
          abnormal: true,
          message: `volume ${volumeId} is staged but ${volumePath} is no longer mounted`,
        },
      };
    }
    throw notFound(`volume ${volumeId} is not mounted at ${volumePath}`);
  }
  const served = await state.servedDevice(mounted, volumePath);
  if (served === undefined) {
    throw notFound(
      `${volumePath} holds ${state.describe(mounted)}, which is no block device of volume ${volumeId}`,
    );
  }
  await requireServed(context, volumeId, volumePath, served, present);
  const health = await condition(context, volumeId, served, present);
  if (mounted.fsType === "devtmpfs") {
    return { usage: await deviceUsage(context, served), condition: health };
  }
  try {
    const usage = await host.statfs(volumePath);
    return {
      usage: [
        {
          unit: "bytes",
          total: usage.blocks * usage.blockSize,
          available: usage.blocksAvailable * usage.blockSize,
          used: (usage.blocks - usage.blocksFree) * usage.blockSize,
        },
        {
          unit: "inodes",
          total: usage.inodes,
          available: usage.inodesFree,
          used: usage.inodes - usage.inodesFree,
        },
      ],
      condition: health,
    };
  } catch (error) {
    context.metrics.nodeErrors.inc({ operation: "stats", kind: "Internal" });
    return {
      usage: [],
      condition: { abnormal: true, message: `statfs of ${volumePath} failed: ${(error as Error).message}` },
    };
  }
}

/** A raw block volume's usage: only its size is known. */
async function deviceUsage(context: NodeContext, device: DeviceNumbers): Promise<VolumeUsageFigures[]> {
  const size = await context.sysfs.sizeBytes(device);
  return size === undefined ? [] : [{ unit: "bytes", total: size }];
}

/** The device at the path must be the volume's, or, with the volume's link gone, a device that is gone too. */
async function requireServed(
  context: NodeContext,
  volumeId: string,
  volumePath: string,
  served: DeviceNumbers,
  present: PresentDevice,
): Promise<void> {
  if (present.device !== undefined) {
    if (!sameDevice(present.device, served)) {
      throw notFound(`${volumePath} is not volume ${volumeId}'s device ${present.device.path}`);
    }
    return;
  }
  if (!(await context.state.leftoverOf(served, volumeId))) {
    throw notFound(
      `${volumePath} holds device ${served.major}:${served.minor}, which is not volume ${volumeId}'s: the volume is not attached to this node`,
    );
  }
}

async function condition(
  context: NodeContext,
  volumeId: string,
  numbers: DeviceNumbers,
  present: PresentDevice,
): Promise<{ abnormal: boolean; message: string }> {
  if (present.problem !== undefined) return { abnormal: true, message: present.problem };
  if (present.device === undefined) {
    return {
      abnormal: true,
      message: `the device link of volume ${volumeId} is gone from ${context.byIdDir}: the device was detached from this node`,
    };
  }
  if (await context.state.deviceGone(numbers)) {
    return {
      abnormal: true,
      message: `device ${numbers.major}:${numbers.minor} of volume ${volumeId} no longer exists`,
    };
  }
  return {
    abnormal: false,
    message: `volume ${volumeId} is mounted and its device ${present.device.path} is present`,
  };
}
