import type { DeviceLocator } from "../provider.js";
import { UUID } from "./names.js";

const LINK_PREFIX = "scsi-0DO_Volume_";
const LINK_NAME = /^scsi-0DO_Volume_([a-z][a-z0-9-]{0,63})$/;
const BY_ID_DIR = "/dev/disk/by-id/";

/** The by-id link name DigitalOcean's droplets give a volume's disk: by its name, not its id. */
export function linkNameOf(volumeName: string): string {
  return `${LINK_PREFIX}${volumeName}`;
}

export function devicePathOf(volumeName: string): string {
  return `${BY_ID_DIR}${linkNameOf(volumeName)}`;
}

/** The link name the publish context's `byIdPath` gives, when it is a DigitalOcean volume link. */
function hintedLinkName(publishContext: Readonly<Record<string, string>>): string | undefined {
  const path = publishContext.byIdPath ?? "";
  const name = path.startsWith(BY_ID_DIR) ? path.slice(BY_ID_DIR.length) : "";
  return LINK_NAME.test(name) ? name : undefined;
}

/**
 * DigitalOcean volumes appear as `/dev/disk/by-id/scsi-0DO_Volume_<volume name>`. The node knows
 * a volume by its id, so the name comes from the publish context's `byIdPath`, which the adapter
 * sets on every attachment; a link name stands for a volume *name* (names are unique in a region,
 * and a droplet only holds volumes of its region). The disk itself is a SCSI disk whose INQUIRY
 * says vendor `DO`, model `Volume`, and whose vendor-specific designator (VPD page 0x83) is the
 * volume's name: udev builds the link from exactly these, and the node checks them on the disk.
 */
export const digitalOceanDeviceLocator: DeviceLocator = {
  linkNames: (_volumeId, publishContext) => {
    const name = hintedLinkName(publishContext);
    return name === undefined ? [] : [name];
  },
  volumeOfLinkName: (name) => LINK_NAME.exec(name)?.[1],
  deviceSerial: undefined,
  scsiIdentity: (_volumeId, publishContext) => {
    const name = hintedLinkName(publishContext)?.slice(LINK_PREFIX.length);
    return name === undefined ? undefined : { vendor: "DO", model: "Volume", designator: name };
  },
  volumeIdPattern: UUID,
};
