import { alreadyExists } from "../shared/errors.js";
import type { FoundDevice } from "./device-discovery.js";
import type { FsType } from "./filesystem-type.js";
import { keepOnlyIfProven } from "./mount-proof.js";
import { isReadOnly } from "./mount-table.js";
import type { NodeContext } from "./node-context.js";
import type { StageVolumeRequest, UnstageVolumeRequest } from "./node-requests.js";
import { deviceSize, prepareFilesystem } from "./volume-format.js";

export async function stageVolume(context: NodeContext, request: StageVolumeRequest): Promise<void> {
  const { mounts, state, host } = context;
  const device = await context.discovery.find(request.volumeId, request.hint);
  if (context.discovery.needsStageRecord(request.volumeId)) {
    await context.records.remember(request.volumeId, request.hint);
  }
  const { access } = request;
  const existing = await mounts.top(request.stagingPath);
  if (access.kind === "block") {
    // Raw block needs nothing at the staging path; publish binds the device node itself.
    if (existing !== undefined) {
      throw alreadyExists(
        `volume ${request.volumeId} is staged at ${request.stagingPath} as a ${existing.fsType} filesystem, not for raw block access`,
      );
    }
    await host.mkdirp(request.stagingPath);
    return;
  }

  if (existing !== undefined) {
    const verdict = await state.ownership(existing, request.stagingPath, request.volumeId, device);
    if (verdict === "ours" && (await host.stat(request.stagingPath)) !== undefined) {
      if (existing.fsType !== access.fsType) {
        throw alreadyExists(
          `volume ${request.volumeId} is staged at ${request.stagingPath} as ${existing.fsType}, not ${access.fsType}`,
        );
      }
      const wantReadOnly = request.readOnly || access.mountOptions.includes("ro");
      if (isReadOnly(existing) !== wantReadOnly) {
        throw alreadyExists(
          `volume ${request.volumeId} is staged at ${request.stagingPath} ${isReadOnly(existing) ? "read-only" : "read-write"}, not ${wantReadOnly ? "read-only" : "read-write"} as requested`,
        );
      }
      return;
    }
    if (verdict === "foreign") {
      throw alreadyExists(
        `staging path ${request.stagingPath} already has ${state.describe(existing)} mounted, which is not volume ${request.volumeId}'s device ${device.path}`,
      );
    }
    await state.repairStale(request.stagingPath, existing);
  }

  const undoDirectory = await state.makeDirectory(request.stagingPath);
  try {
    await prepareFilesystem(context, request, access.fsType, device);
    await mountStaged(context, request, access.fsType, access.mountOptions, device);
  } catch (error) {
    await undoDirectory().catch((undoError: unknown) =>
      context.logger.warn(
        { err: undoError, path: request.stagingPath },
        "removing the staging directory failed",
      ),
    );
    throw error;
  }
}

async function mountStaged(
  context: NodeContext,
  request: StageVolumeRequest,
  fsType: FsType,
  mountOptions: string[],
  device: FoundDevice,
): Promise<void> {
  const { logger, resizer } = context;
  const options = [...mountOptions];
  if (fsType === "xfs" && !options.includes("nouuid")) options.push("nouuid");
  if (request.readOnly && !options.includes("ro")) options.push("ro");
  // A read-only mount still replays a dirty journal, which writes to the device; other nodes
  // may be reading it at the same time, so a shared volume is mounted without recovery.
  if (request.sharedReadOnly) options.push(fsType === "xfs" ? "norecovery" : "noload");
  const step = `mounting it at ${request.stagingPath}`;
  await context.discovery.reprove(request.volumeId, request.hint, device, step);
  await context.mounter.mountFilesystem(device.path, request.stagingPath, fsType, options);
  const mounted = await context.mounts.top(request.stagingPath);
  await keepOnlyIfProven(context, request, device, step, request.stagingPath, mounted);
  logger.info(
    { volumeId: request.volumeId, device: device.path, stagingPath: request.stagingPath, fsType },
    "volume staged",
  );
  if (fsType === "xfs" && !request.readOnly) {
    const deviceBytes = await deviceSize(context, device);
    const fsBytes = await resizer.filesystemBytes("xfs", device.path, request.stagingPath);
    if (resizer.needsGrowth(fsBytes, deviceBytes)) {
      logger.info({ volumeId: request.volumeId, fsBytes, deviceBytes }, "growing xfs to fill its device");
      await resizer.growXfs(request.stagingPath);
    }
  }
}

/**
 * Unmounts the staging path only when what is mounted there is this volume's device (or a stale
 * leftover whose device is gone): another volume's mount, or anything else alive, is refused.
 * The record of the stage goes last, once nothing of the stage is left.
 */
export async function unstageVolume(context: NodeContext, request: UnstageVolumeRequest): Promise<void> {
  const { state } = context;
  const top = await context.mounts.top(request.stagingPath);
  if (top !== undefined) {
    const { device } = await state.presentDevice(request.volumeId);
    await state.unmountOwn(request.stagingPath, request.volumeId, device, top);
  }
  await state.removeEmptyDirectory(request.stagingPath);
  await context.records.forget(request.volumeId);
}
