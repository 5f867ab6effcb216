import type { DeviceLocator } from "../provider.js";

/** virtio-blk carries at most 20 bytes of serial; the ballast API cuts the volume id to that. */
const VIRTIO_SERIAL_LENGTH = 20;
const VIRTIO_PREFIX = "virtio-";
const VOLUME_ID = /vol-[0-9a-f]{16}/;

/** The serial the ballast API gives a volume's device: its id, cut to what virtio can carry. */
export function ballastDeviceSerial(volumeId: string): string {
  return volumeId.slice(0, VIRTIO_SERIAL_LENGTH);
}

/**
 * The ballast API's devices: `virtio-<serial>` under the by-id directory, and the attachment's own
 * by-id path, tried first because the cloud named it. A link name stands for a volume when it is
 * `virtio-<serial>` or carries a volume id (a by-id name of another convention, e.g. scsi-…-vol-…).
 */
export const ballastDeviceLocator: DeviceLocator = {
  linkNames(volumeId, publishContext) {
    const names: string[] = [];
    const hinted = publishContext.byIdPath;
    if (hinted !== undefined && hinted !== "") names.push(hinted.slice(hinted.lastIndexOf("/") + 1));
    names.push(`${VIRTIO_PREFIX}${ballastDeviceSerial(volumeId)}`);
    return [...new Set(names)];
  },
  volumeOfLinkName(name) {
    if (name.startsWith(VIRTIO_PREFIX)) return name.slice(VIRTIO_PREFIX.length);
    return name.match(VOLUME_ID)?.[0];
  },
  deviceSerial: ballastDeviceSerial,
  volumeIdPattern: VOLUME_ID,
};
