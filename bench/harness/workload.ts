import { status } from "@grpc/grpc-js";
import { CSI_NAME_TAG, MANAGED_BY_TAG } from "../../src/controller/storage-class-parameters.js";
import { isServiceError } from "../../src/demo/csi-client.js";
import {
  type DeepPartial,
  type VolumeCapability,
  VolumeCapability_AccessMode_Mode,
} from "../../src/generated/csi.js";
import { BallastError } from "../../src/shared/errors.js";
import { BENCH_ZONE } from "./bench-cloud.js";
import { RawCallError } from "./raw-grpc-client.js";

export const GiB = 1024 ** 3;
/** Generous: under a rate limit a call queues for its token, which is what is being measured. */
export const CALL_TIMEOUT_MS = 300_000;

export const MOUNT_EXT4: DeepPartial<VolumeCapability> = {
  accessType: { $case: "mount", value: { fsType: "ext4", mountFlags: [] } },
  accessMode: { mode: VolumeCapability_AccessMode_Mode.SINGLE_NODE_WRITER },
};

export function mountCapability(fsType: string): DeepPartial<VolumeCapability> {
  return { ...MOUNT_EXT4, accessType: { $case: "mount", value: { fsType, mountFlags: [] } } };
}

/** The tags the driver gives a volume it creates for `name`. */
export function volumeTags(name: string): Record<string, string> {
  return { [MANAGED_BY_TAG]: "block.csi.ballast.dev", [CSI_NAME_TAG]: name };
}

/** What the direct client sends for the volume a CreateVolume of 1 GiB `balanced` asks for. */
export function directCreateRequest(name: string) {
  return { name, sizeBytes: GiB, zone: BENCH_ZONE, type: "balanced", tags: volumeTags(name) };
}

/** A label for a failed call: the gRPC code name, the BallastError kind, or the error's name. */
export function errorLabel(error: unknown): string {
  if (isServiceError(error)) return status[error.code] ?? String(error.code);
  if (error instanceof RawCallError) return error.label;
  if (error instanceof BallastError) return error.kind;
  return error instanceof Error ? error.name : "unknown";
}

export interface ProvisioningAudit {
  /** Volumes whose name starts with the prefix. */
  volumes: number;
  /** Volumes beyond the first with the same name: a retried or repeated create that made another. */
  duplicates: number;
  /** Expected names with no volume. */
  missing: number;
  /** Volumes with exactly one attachment, in state attached. */
  attachedOnce: number;
}

/** A page of volumes as the ballast client and every provider's adapter list them. */
type ListVolumesPage = (
  page: { limit: number; pageToken?: string },
  options: { deadline: number },
) => Promise<{
  items: { name: string; tags: Record<string, string>; attachments: readonly { state: string }[] }[];
  nextPageToken?: string | undefined;
}>;

/**
 * Reads every volume back from the cloud and checks the storm left exactly one per name. A
 * volume's CO name is its `ballast.dev/csi-name` tag (each adapter keeps it where its cloud can:
 * a description, labels), else its cloud name.
 */
export async function auditVolumes(
  listVolumes: ListVolumesPage,
  prefix: string,
  expected: number,
): Promise<ProvisioningAudit> {
  const byName = new Map<string, number>();
  let attachedOnce = 0;
  let pageToken: string | undefined;
  do {
    const page = await listVolumes(
      { limit: 1000, ...(pageToken === undefined ? {} : { pageToken }) },
      { deadline: Date.now() + 60_000 },
    );
    for (const volume of page.items) {
      const name = volume.tags[CSI_NAME_TAG] ?? volume.name;
      if (!name.startsWith(prefix)) continue;
      byName.set(name, (byName.get(name) ?? 0) + 1);
      if (volume.attachments.length === 1 && volume.attachments[0]?.state === "attached") attachedOnce += 1;
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return tally(byName, expected, attachedOnce);
}

function tally(byName: Map<string, number>, expected: number, attachedOnce: number): ProvisioningAudit {
  let volumes = 0;
  let duplicates = 0;
  for (const count of byName.values()) {
    volumes += count;
    duplicates += count - 1;
  }
  return { volumes, duplicates, missing: Math.max(0, expected - byName.size), attachedOnce };
}
