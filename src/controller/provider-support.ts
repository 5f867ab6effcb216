import type { ProviderCapabilities, ProviderProfile } from "../providers/provider.js";
import { BallastError } from "../shared/errors.js";

/** How each capability is named in a refusal, so a message says what is missing in plain words. */
export const CAPABILITY_WORDS: Record<keyof ProviderCapabilities, string> = {
  snapshots: "snapshots",
  listSnapshots: "listing snapshots",
  clones: "volume clones",
  modify: "modifying volumes",
  multiAttach: "attaching a volume to several nodes",
  readOnlyAttach: "read-only attachments",
  tiers: "volume tiers",
  encryption: "encryption settings",
  capacity: "capacity reports",
  groupSnapshots: "group snapshots",
};

/** An RPC of a capability the provider lacks (and the driver does not advertise): Unimplemented. */
export function requireCapability(
  provider: ProviderProfile,
  capability: keyof ProviderCapabilities,
  rpc: string,
): void {
  if (provider.capabilities[capability]) return;
  throw new BallastError(
    "Unimplemented",
    `${rpc}: provider ${provider.name} does not support ${CAPABILITY_WORDS[capability]}`,
  );
}
