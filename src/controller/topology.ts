import type { Topology, TopologyRequirement } from "../generated/csi.js";
import { invalidArgument, resourceExhausted } from "../shared/errors.js";
import { WELL_KNOWN_ZONE_KEY, ZONE_TOPOLOGY_KEY } from "../shared/topology-keys.js";

/** The segments a volume reports as accessible_topology: the driver's own zone key. */
export function zoneTopology(zone: string): Topology {
  return { segments: { [ZONE_TOPOLOGY_KEY]: zone } };
}

function zoneOf(field: string, topology: Topology): string {
  const segments = topology.segments;
  const zone = segments[ZONE_TOPOLOGY_KEY] ?? segments[WELL_KNOWN_ZONE_KEY];
  const both = segments[ZONE_TOPOLOGY_KEY] !== undefined && segments[WELL_KNOWN_ZONE_KEY] !== undefined;
  if (zone === undefined || zone === "") {
    throw invalidArgument(
      `${field}: segments ${JSON.stringify(segments)} have no ${ZONE_TOPOLOGY_KEY} or ${WELL_KNOWN_ZONE_KEY}`,
    );
  }
  if (both && segments[ZONE_TOPOLOGY_KEY] !== segments[WELL_KNOWN_ZONE_KEY]) {
    throw invalidArgument(`${field}: ${ZONE_TOPOLOGY_KEY} and ${WELL_KNOWN_ZONE_KEY} name different zones`);
  }
  return zone;
}

/**
 * Zones the CO allows, most wanted first: preferred in order, then requisite in order, without
 * duplicates. undefined means no constraint. A segment without a zone is an error, never a
 * silent default.
 */
export function allowedZones(requirement: TopologyRequirement | undefined): string[] | undefined {
  if (requirement === undefined) return undefined;
  const zones: string[] = [];
  const add = (field: string, list: Topology[]) =>
    list.forEach((topology, index) => {
      const zone = zoneOf(`${field}[${index}]`, topology);
      if (!zones.includes(zone)) zones.push(zone);
    });
  add("accessibility_requirements.preferred", requirement.preferred);
  add("accessibility_requirements.requisite", requirement.requisite);
  if (requirement.requisite.length > 0) {
    const requisite = requirement.requisite.map((t, i) =>
      zoneOf(`accessibility_requirements.requisite[${i}]`, t),
    );
    return zones.filter((zone) => requisite.includes(zone));
  }
  return zones.length === 0 ? undefined : zones;
}

/**
 * Picks the zone for a new volume. With a source (snapshot or volume) the zone is the source's,
 * and it must be allowed. Without constraints: the default zone (the controller's --zone) or
 * the cloud's first zone that accepts new volumes. Zones the cloud does not know, or that accept
 * no new volumes, are skipped. A well-formed requirement that no zone can meet is
 * ResourceExhausted, the spec's "unable to provision in accessible_topology": the request is
 * valid, this cloud just cannot serve it there.
 */
export function chooseZone(options: {
  requirement: TopologyRequirement | undefined;
  /** The cloud's zones that accept new volumes. */
  openZones: string[];
  defaultZone?: string | undefined;
  sourceZone?: string | undefined;
  sourceDescription?: string | undefined;
}): string {
  const allowed = allowedZones(options.requirement);
  if (options.sourceZone !== undefined) {
    if (allowed !== undefined && !allowed.includes(options.sourceZone)) {
      throw resourceExhausted(
        `accessibility_requirements: ${options.sourceDescription ?? "the source"} is in zone ${options.sourceZone}, which is not among the allowed zones ${allowed.join(", ")}; clones and restores stay in their source's zone`,
      );
    }
    return options.sourceZone;
  }
  if (allowed === undefined) {
    const fallback = options.defaultZone ?? options.openZones[0];
    if (fallback === undefined) {
      throw resourceExhausted("accessibility_requirements: no zone of the cloud accepts new volumes");
    }
    return fallback;
  }
  const open = allowed.find((zone) => options.openZones.includes(zone));
  if (open === undefined) {
    throw resourceExhausted(
      `accessibility_requirements: none of the zones ${allowed.join(", ")} exists and accepts new volumes (those that do: ${options.openZones.join(", ")})`,
    );
  }
  return open;
}

/** The zone named by GetCapacity's accessible_topology, or undefined when none was given. */
export function capacityZone(topology: Topology | undefined): string | undefined {
  return topology === undefined ? undefined : zoneOf("accessible_topology", topology);
}
