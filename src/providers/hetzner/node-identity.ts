import { unavailable } from "../../shared/errors.js";
import type { NodeIdentitySource } from "../provider.js";
import { type MetadataOptions, readMetadataText } from "../shared/metadata-text.js";

/** Hetzner's metadata service, reachable from every server (link-local, no token). */
export const HETZNER_METADATA_URL = "http://169.254.169.254";
const METADATA_PATH = "/hetzner/v1/metadata";

/** A datacenter (`fsn1-dc14`) cut to its location (`fsn1`), Ballast's zone. */
const DATACENTER = /^([a-z0-9]+)-dc[0-9]+$/;
const LOCATION = /^[a-z0-9]+$/;

const NAMES = { cloud: "Hetzner Cloud", machine: "server" };

/** One value of the metadata service. */
const readText = (url: string, options: MetadataOptions, signal?: AbortSignal) =>
  readMetadataText(url, NAMES, options, signal);

/** The zone for an availability zone the metadata service reports. */
export function zoneOfAvailabilityZone(value: string): string | undefined {
  const datacenter = DATACENTER.exec(value);
  if (datacenter !== null) return datacenter[1];
  return LOCATION.test(value) ? value : undefined;
}

/**
 * The server's id and location from Hetzner's metadata service: `instance-id` and
 * `availability-zone` under `<base>/hetzner/v1/metadata/`, the latter a datacenter such as
 * `fsn1-dc14` whose location (`fsn1`) is the zone.
 */
export function hetznerNodeIdentity(
  metadataUrl: string | undefined,
  options: MetadataOptions = {},
): NodeIdentitySource {
  const base = `${(metadataUrl ?? HETZNER_METADATA_URL).replace(/\/+$/, "")}${METADATA_PATH}`;
  return {
    async discover(signal) {
      const idUrl = `${base}/instance-id`;
      const zoneUrl = `${base}/availability-zone`;
      const [instanceId, availabilityZone] = await Promise.all([
        readText(idUrl, options, signal),
        readText(zoneUrl, options, signal),
      ]);
      if (!/^[1-9][0-9]*$/.test(instanceId)) {
        throw unavailable(
          `Hetzner Cloud metadata ${idUrl}: ${JSON.stringify(instanceId.slice(0, 64))} is not a server id`,
        );
      }
      const zone = zoneOfAvailabilityZone(availabilityZone);
      if (zone === undefined) {
        throw unavailable(
          `Hetzner Cloud metadata ${zoneUrl}: ${JSON.stringify(availabilityZone.slice(0, 64))} is not a datacenter such as fsn1-dc14`,
        );
      }
      return { instanceId, zone };
    },
  };
}
