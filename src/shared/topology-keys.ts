/** The driver's own topology segment: a volume is reachable from the nodes of its zone. */
export const ZONE_TOPOLOGY_KEY = "topology.block.csi.ballast.dev/zone";

/**
 * The well-known Kubernetes zone label. Nodes may report it beside the driver's key, and the
 * controller accepts it in accessibility requirements.
 */
export const WELL_KNOWN_ZONE_KEY = "topology.kubernetes.io/zone";
