import { dirname } from "node:path";
import { alreadyExists, failedPrecondition } from "../shared/errors.js";
import type { FoundDevice } from "./device-discovery.js";
import { sameDevice } from "./device-numbers.js";
import { keepOnlyIfProven } from "./mount-proof.js";
import { isReadOnly } from "./mount-table.js";
import type { NodeContext } from "./node-context.js";
import type { PublishVolumeRequest, UnpublishVolumeRequest } from "./node-requests.js";
import { blockDeviceNumbers } from "./sysfs.js";

export async function publishVolume(context: NodeContext, request: PublishVolumeRequest): Promise<void> {
  if (request.access.kind === "block") return publishBlock(context, request);
  const { access } = request;
  const { mounts, state, logger } = context;
  // A bind of a staging mount made with the `ro` flag is read-only whatever the bind asks (the
  // kernel copies the flag), so a repeated publish must expect read-only too.
  const readOnly = request.readOnly || access.mountOptions.includes("ro");
  const staged = await mounts.top(request.stagingPath);
  if (staged === undefined) {
    throw failedPrecondition(
      `volume ${request.volumeId} is not staged at ${request.stagingPath} for mount access: no filesystem is mounted there (a stage for block access mounts none)`,
    );
  }
  const device = await context.discovery.find(request.volumeId, request.hint);
  if (!sameDevice(staged, device)) {
    throw failedPrecondition(
      `staging path ${request.stagingPath} holds ${staged.source} (${staged.major}:${staged.minor}), not volume ${request.volumeId}'s device ${device.path}; stage the volume again`,
    );
  }
  if (staged.fsType !== access.fsType) {
    throw alreadyExists(
      `volume ${request.volumeId} is staged as ${staged.fsType}; it cannot be published as ${access.fsType}`,
    );
  }
  const existing = await mounts.top(request.targetPath);
  if (existing !== undefined) {
    const verdict = await state.ownership(existing, request.targetPath, request.volumeId, device);
    if (verdict === "ours" && existing.root === staged.root) {
      if (isReadOnly(existing) === readOnly) return;
      throw alreadyExists(
        `volume ${request.volumeId} is already published at ${request.targetPath} ${isReadOnly(existing) ? "read-only" : "read-write"}`,
      );
    }
    if (verdict !== "stale") {
      throw alreadyExists(
        `target path ${request.targetPath} already has ${state.describe(existing)} mounted`,
      );
    }
    await state.repairStale(request.targetPath, existing);
  }
  await refuseSecondPublication(context, request, device);
  const undoDirectory = await state.makeDirectory(request.targetPath);
  try {
    await context.mounter.bind("publish", request.stagingPath, request.targetPath, readOnly);
  } catch (error) {
    await undoDirectory().catch(() => undefined);
    throw error;
  }
  logger.info({ volumeId: request.volumeId, targetPath: request.targetPath, readOnly }, "volume published");
}

async function publishBlock(context: NodeContext, request: PublishVolumeRequest): Promise<void> {
  const { mounts, state, host, logger } = context;
  const device = await context.discovery.find(request.volumeId, request.hint);
  // The pod would write to the device under the kernel's mounted filesystem. A mount at the
  // staging path that is not the volume's is no stage of it, and a block stage needs nothing there.
  const staged = await mounts.top(request.stagingPath);
  if (
    staged !== undefined &&
    (await state.ownership(staged, request.stagingPath, request.volumeId, device)) !== "foreign"
  ) {
    throw failedPrecondition(
      `volume ${request.volumeId} is staged at ${request.stagingPath} for mount access (${staged.fsType} on ${staged.source}); it cannot be published for block access`,
    );
  }
  const existing = await mounts.top(request.targetPath);
  if (existing !== undefined) {
    const verdict = await state.ownership(existing, request.targetPath, request.volumeId, device);
    if (verdict === "ours") {
      if (isReadOnly(existing) === request.readOnly) return;
      throw alreadyExists(
        `volume ${request.volumeId} is already published at ${request.targetPath} ${isReadOnly(existing) ? "read-only" : "read-write"}`,
      );
    }
    if (verdict === "foreign") {
      throw alreadyExists(
        `target path ${request.targetPath} already has ${state.describe(existing)} mounted`,
      );
    }
    await state.repairStale(request.targetPath, existing);
  }
  await refuseSecondPublication(context, request, device);
  const undoDirectory = await state.makeDirectory(dirname(request.targetPath));
  const createdFile = (await host.lstat(request.targetPath)) === undefined;
  const step = `binding it at ${request.targetPath}`;
  try {
    if (createdFile) await host.touch(request.targetPath);
    await context.discovery.reprove(request.volumeId, request.hint, device, step);
    await context.mounter.bind("block", device.path, request.targetPath, request.readOnly);
    const bound = await blockDeviceNumbers(context.host, request.targetPath).catch(() => undefined);
    await keepOnlyIfProven(context, request, device, step, request.targetPath, bound);
  } catch (error) {
    if (createdFile) await host.unlink(request.targetPath).catch(() => undefined);
    await undoDirectory().catch(() => undefined);
    throw error;
  }
  logger.info(
    {
      volumeId: request.volumeId,
      device: device.path,
      targetPath: request.targetPath,
      readOnly: request.readOnly,
    },
    "raw block volume published",
  );
}

/**
 * The spec's table for plugins with SINGLE_NODE_MULTI_WRITER has a SINGLE_NODE_SINGLE_WRITER
 * volume refused at a second target path. Called once the target itself is known not to hold the
 * volume, so a repeated publish there stays OK.
 */
async function refuseSecondPublication(
  context: NodeContext,
  request: PublishVolumeRequest,
  device: FoundDevice,
): Promise<void> {
  if (!request.singleWriter) return;
  const [other] = await context.state.mountPointsOf(device, [request.stagingPath, request.targetPath]);
  if (other !== undefined) {
    throw failedPrecondition(
      `volume ${request.volumeId} is SINGLE_NODE_SINGLE_WRITER and already published at ${other}; it cannot be published at ${request.targetPath} too`,
    );
  }
}

/**
 * Unmounts the target only when what is mounted there is this volume's (or a stale leftover), and
 * removes only what a publish made: an empty directory, or the file a raw block publish bound the
 * device onto, once this call has unbound it. Anything else at the path is left as it is.
 */
export async function unpublishVolume(context: NodeContext, request: UnpublishVolumeRequest): Promise<void> {
  const { mounts, state, host, logger } = context;
  let unboundBlock = false;
  const top = await mounts.top(request.targetPath);
  if (top !== undefined) {
    const { device } = await state.presentDevice(request.volumeId);
    unboundBlock = top.fsType === "devtmpfs";
    await state.unmountOwn(request.targetPath, request.volumeId, device, top);
  }
  const info = await host.lstat(request.targetPath);
  if (info === undefined) return;
  if (info.kind === "directory") await state.removeEmptyDirectory(request.targetPath);
  else if (info.kind === "file" && unboundBlock && info.size === 0n) await host.unlink(request.targetPath);
  else
    logger.info(
      { path: request.targetPath, kind: info.kind },
      "leaving a target that no publish of this call made",
    );
}
