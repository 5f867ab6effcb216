import { failedPrecondition, notFound, unavailable } from "../shared/errors.js";
import { supportedFsType } from "../shared/filesystem-types.js";
import { type DeviceNumbers, sameDevice } from "./device-numbers.js";
import type { NodeContext } from "./node-context.js";
import type { ExpandVolumeRequest } from "./node-requests.js";

/**
 * Grows the filesystem at the path to fill the volume's device. The volume must be attached here
 * and the path must show its device: a filesystem that is not provably this volume's is never
 * grown.
 */
export async function expandVolume(
  context: NodeContext,
  request: ExpandVolumeRequest,
): Promise<{ capacityBytes: bigint }> {
  const { volumeId, volumePath } = request;
  const { host, mounts, state, resizer, logger } = context;
  const info = await host.stat(volumePath);
  if (info === undefined) throw notFound(`volume_path ${volumePath} does not exist`);
  const present = await state.presentDevice(volumeId);
  const device = present.device;
  if (device === undefined) {
    throw notFound(
      `volume ${volumeId} is not attached to this node${present.problem === undefined ? ` (no device link in ${context.byIdDir})` : `: ${present.problem}`}`,
    );
  }

  if (info.kind === "block-device" || request.access?.kind === "block") {
    const numbers = info.device ?? device;
    if (!sameDevice(device, numbers))
      throw notFound(`${volumePath} is not volume ${volumeId}'s device ${device.path}`);
    return { capacityBytes: await requireDeviceSize(context, volumeId, numbers, request.requiredBytes) };
  }

  const mounted = await mounts.top(volumePath);
  if (mounted === undefined) throw notFound(`volume ${volumeId} is not mounted at ${volumePath}`);
  if ((await state.ownership(mounted, volumePath, volumeId, device)) !== "ours") {
    throw notFound(
      `${volumePath} holds ${state.describe(mounted)}, not volume ${volumeId}'s device ${device.path}`,
    );
  }
  const fsType = supportedFsType(mounted.fsType);
  if (fsType === undefined) {
    throw failedPrecondition(`${volumePath} holds ${mounted.fsType}, which this driver cannot grow`);
  }
  const deviceBytes = await requireDeviceSize(context, volumeId, device, request.requiredBytes);
  const fsBytes = await resizer.filesystemBytes(fsType, device.path, volumePath);
  if (resizer.needsGrowth(fsBytes, deviceBytes)) {
    const writable = await state.writableMountOf(mounted, request.stagingPath);
    if (writable === undefined) {
      throw failedPrecondition(
        `volume ${volumeId} is mounted only read-only on this node (${volumePath}), so its ${fsType} filesystem cannot be grown here; it grows where it is mounted read-write`,
      );
    }
    logger.info(
      { volumeId, fsType, fsBytes, deviceBytes, mountPoint: writable },
      "growing filesystem online",
    );
    if (fsType === "ext4") await resizer.growExt4Online(device.path);
    else await resizer.growXfs(writable);
  }
  return { capacityBytes: deviceBytes };
}

async function requireDeviceSize(
  context: NodeContext,
  volumeId: string,
  device: DeviceNumbers,
  requiredBytes: bigint,
): Promise<bigint> {
  const size = await context.sysfs.sizeBytes(device);
  if (size === undefined) throw notFound(`the device of volume ${volumeId} is gone`);
  if (size < requiredBytes) {
    throw unavailable(
      `the device of volume ${volumeId} is ${size} bytes, less than the requested ${requiredBytes}; the cloud has not grown it on this node yet`,
    );
  }
  return size;
}
