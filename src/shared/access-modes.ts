import { VolumeCapability_AccessMode_Mode as Mode } from "../generated/csi.js";

/** Modes in which one node at a time holds the volume. */
export const SINGLE_NODE_MODES: ReadonlySet<Mode> = new Set([
  Mode.SINGLE_NODE_WRITER,
  Mode.SINGLE_NODE_SINGLE_WRITER,
  Mode.SINGLE_NODE_MULTI_WRITER,
  Mode.SINGLE_NODE_READER_ONLY,
]);

/**
 * The one multi-node mode served: a tier that attaches to several nodes at once, each node
 * mounting the volume read-only.
 */
export const MULTI_NODE_MODES: ReadonlySet<Mode> = new Set([Mode.MULTI_NODE_READER_ONLY]);

/** Every mode the controller accepts (subject to the tier) and the node serves. */
export const SERVED_MODES: ReadonlySet<Mode> = new Set([...SINGLE_NODE_MODES, ...MULTI_NODE_MODES]);

/** Writers on several nodes would corrupt a filesystem that only one kernel may own. */
export const MULTI_NODE_WRITER_MODES: ReadonlySet<Mode> = new Set([
  Mode.MULTI_NODE_SINGLE_WRITER,
  Mode.MULTI_NODE_MULTI_WRITER,
]);

/** Modes that only allow reading, whatever the publish request's readonly flag says. */
export const READ_ONLY_MODES: ReadonlySet<Mode> = new Set([
  Mode.SINGLE_NODE_READER_ONLY,
  Mode.MULTI_NODE_READER_ONLY,
]);

export function modeName(mode: Mode): string {
  return Mode[mode] ?? String(mode);
}

/** Whether a volume in this mode may be attached to one node only. */
export function isSingleNode(mode: Mode): boolean {
  return SINGLE_NODE_MODES.has(mode);
}

/** Whether a volume in this mode may be attached to more than one node at a time. */
export function isMultiNode(mode: Mode): boolean {
  return MULTI_NODE_MODES.has(mode);
}
