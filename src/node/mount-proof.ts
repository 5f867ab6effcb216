import type { DeviceHint, FoundDevice } from "./device-discovery.js";
import type { DeviceNumbers } from "./device-numbers.js";
import type { NodeContext } from "./node-context.js";

/**
 * Undoes the mount or bind a step has just made at `path` unless it serves the proven device
 * (`served`), which must still be the volume's: mount(8) opened the device by its kernel name, and
 * a detach and attach during the step can give that name to another volume's disk.
 */
export async function keepOnlyIfProven(
  context: NodeContext,
  volume: { volumeId: string; hint: DeviceHint },
  device: FoundDevice,
  step: string,
  path: string,
  served: DeviceNumbers | undefined,
): Promise<void> {
  try {
    await context.discovery.confirmMounted(volume.volumeId, volume.hint, device, step, served);
  } catch (error) {
    context.logger.warn(
      { err: error, volumeId: volume.volumeId, path },
      "undoing what was just mounted: it is not the volume's device",
    );
    await context.mounter.unmount(path);
    throw error;
  }
}
