/**
 * The volume context key under which CreateVolume records the volume's tier. It is a hint, not a
 * fact: static PVs may lack it, and ControllerModifyVolume can change the tier afterwards.
 * ControllerPublishVolume uses it only to skip a read when the tier it names is single-attach;
 * safety never rests on it, because a single-node mode's attach is exclusive and the cloud refuses
 * it while the volume is attached elsewhere, whatever the tier is now.
 */
export const VOLUME_TYPE_CONTEXT_KEY = "volumeType";

export function volumeTypeToContext(typeName: string): Record<string, string> {
  return { [VOLUME_TYPE_CONTEXT_KEY]: typeName };
}

/** The tier named in a volume context, or undefined when it names none. */
export function volumeTypeFromContext(volumeContext: Readonly<Record<string, string>>): string | undefined {
  const name = volumeContext[VOLUME_TYPE_CONTEXT_KEY];
  return name === undefined || name === "" ? undefined : name;
}
