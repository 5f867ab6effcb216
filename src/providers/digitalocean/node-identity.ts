import { unavailable } from "../../shared/errors.js";
import type { NodeIdentitySource } from "../provider.js";
import { type MetadataOptions, readMetadataText } from "../shared/metadata-text.js";

/** DigitalOcean's droplet metadata service, reachable from every droplet (link-local, no token). */
export const DIGITALOCEAN_METADATA_URL = "http://169.254.169.254";
const METADATA_PATH = "/metadata/v1";

const DROPLET_ID = /^[1-9][0-9]{0,15}$/;
/** Region slugs: letters then digits (`nyc1`, `ams3`). */
const REGION = /^[a-z]+[0-9]+$/;

const NAMES = { cloud: "DigitalOcean", machine: "droplet" };

/** One value of the metadata service. */
const readText = (url: string, options: MetadataOptions, signal?: AbortSignal) =>
  readMetadataText(url, NAMES, options, signal);

/**
 * The droplet's id and region from DigitalOcean's metadata service: `<base>/metadata/v1/id` and
 * `<base>/metadata/v1/region`, each plain text. The region slug is the zone.
 */
export function digitalOceanNodeIdentity(
  metadataUrl: string | undefined,
  options: MetadataOptions = {},
): NodeIdentitySource {
  const base = `${(metadataUrl ?? DIGITALOCEAN_METADATA_URL).replace(/\/+$/, "")}${METADATA_PATH}`;
  return {
    async discover(signal) {
      const idUrl = `${base}/id`;
      const regionUrl = `${base}/region`;
      const [instanceId, zone] = await Promise.all([
        readText(idUrl, options, signal),
        readText(regionUrl, options, signal),
      ]);
      if (!DROPLET_ID.test(instanceId)) {
        throw unavailable(
          `DigitalOcean metadata ${idUrl}: ${JSON.stringify(instanceId.slice(0, 64))} is not a droplet id`,
        );
      }
      if (!REGION.test(zone)) {
        throw unavailable(
          `DigitalOcean metadata ${regionUrl}: ${JSON.stringify(zone.slice(0, 64))} is not a region such as nyc1`,
        );
      }
      return { instanceId, zone };
    },
  };
}
