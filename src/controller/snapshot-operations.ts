import type {
  CreateSnapshotRequest,
  CreateSnapshotResponse,
  GetSnapshotResponse,
  ListSnapshotsRequest,
  ListSnapshotsResponse,
} from "../generated/csi.js";
import { alreadyExists, BallastError, internal, invalidArgument, notFound } from "../shared/errors.js";
import type { CallOptions, Snapshot } from "./block-storage.js";
import { type ControllerContext, lockKeys } from "./controller-context.js";
import { CLOUD_NAME } from "./create-volume.js";
import { toCsiSnapshot } from "./csi-mapping.js";
import { creationKey } from "./idempotency-keys.js";
import { CSI_NAME_TAG, MANAGED_BY_TAG } from "./storage-class-parameters.js";
import { withTokenCheck } from "./volume-operations.js";

/** What the external-snapshotter passes with --extra-create-metadata; recorded as tags. */
const SNAPSHOT_METADATA_TAGS: Record<string, string> = {
  "csi.storage.k8s.io/volumesnapshot/name": "ballast.dev/volumesnapshot-name",
  "csi.storage.k8s.io/volumesnapshot/namespace": "ballast.dev/volumesnapshot-namespace",
  "csi.storage.k8s.io/volumesnapshotcontent/name": "ballast.dev/volumesnapshotcontent-name",
};

const MAX_PAGE = 1000;

function snapshotTags(context: ControllerContext, request: CreateSnapshotRequest): Record<string, string> {
  const tags: Record<string, string> = { [MANAGED_BY_TAG]: context.driverName, [CSI_NAME_TAG]: request.name };
  for (const [key, value] of Object.entries(request.parameters)) {
    const tag = SNAPSHOT_METADATA_TAGS[key];
    if (tag === undefined) throw invalidArgument(`parameters.${key}: unknown snapshot parameter`);
    tags[tag] = value;
  }
  return tags;
}

function usable(snapshot: Snapshot): Snapshot {
  if (snapshot.status === "error") throw internal(`snapshot ${snapshot.id} failed in the cloud`);
  return snapshot;
}

/**
 * CreateSnapshot: find by name or start it, and answer at once. The cloud cuts the snapshot when
 * it accepts the request, so the answer is ready_to_use=false while it is pending and true on a
 * later call: the RPC never waits for the copy, let alone past its deadline.
 */
export async function createSnapshot(
  context: ControllerContext,
  request: CreateSnapshotRequest,
  options: CallOptions,
): Promise<CreateSnapshotResponse> {
  if (!CLOUD_NAME.test(request.name)) {
    throw invalidArgument(
      `name: "${request.name}" must start with a letter or digit and hold only letters, digits, ".", "_" and "-"`,
    );
  }
  const tags = snapshotTags(context, request);
  return context.locks.run("CreateSnapshot", [lockKeys.snapshotName(request.name)], async () => {
    const existing = await context.cloud.findSnapshotByName(request.name, options);
    if (existing !== undefined) {
      if (existing.sourceVolumeId !== request.sourceVolumeId) {
        throw alreadyExists(
          `name: snapshot "${request.name}" already exists as ${existing.id} of volume ${existing.sourceVolumeId}, not ${request.sourceVolumeId}`,
        );
      }
      return { snapshot: toCsiSnapshot(usable(existing)) };
    }
    const volume = await context.cloud.getVolume(request.sourceVolumeId, options);
    if (volume === undefined)
      throw notFound(`source_volume_id: volume ${request.sourceVolumeId} does not exist`);
    const idempotencyKey = creationKey(context.driverName, "snapshot", request.name);
    try {
      const snapshot = await context.cloud.createSnapshot(
        { name: request.name, sourceVolumeId: volume.id, tags },
        { ...options, idempotencyKey },
      );
      return { snapshot: toCsiSnapshot(usable(snapshot)) };
    } catch (error) {
      if (error instanceof BallastError && error.kind === "AlreadyExists") {
        const raced = await context.cloud.findSnapshotByName(request.name, options);
        if (raced !== undefined && raced.sourceVolumeId === volume.id) {
          return { snapshot: toCsiSnapshot(usable(raced)) };
        }
      }
      throw error;
    }
  });
}

/** DeleteSnapshot; a snapshot already gone is success. */
export async function deleteSnapshot(
  context: ControllerContext,
  snapshotId: string,
  options: CallOptions,
): Promise<void> {
  await context.locks.run("DeleteSnapshot", [lockKeys.snapshotId(snapshotId)], () =>
    context.cloud.deleteSnapshot(snapshotId, options),
  );
}

export async function getSnapshot(
  context: ControllerContext,
  snapshotId: string,
  options: CallOptions,
): Promise<GetSnapshotResponse> {
  const snapshot = await context.cloud.getSnapshot(snapshotId, options);
  if (snapshot === undefined) throw notFound(`snapshot_id: snapshot ${snapshotId} does not exist`);
  return { snapshot: toCsiSnapshot(snapshot) };
}

/**
 * ListSnapshots, paged by the cloud's token. A snapshot_id filter is a single lookup; a filter that
 * matches nothing is an empty list, not an error (the spec says so).
 */
export async function listSnapshots(
  context: ControllerContext,
  request: ListSnapshotsRequest,
  options: CallOptions,
): Promise<ListSnapshotsResponse> {
  if (request.maxEntries < 0) throw invalidArgument(`max_entries: ${request.maxEntries} is negative`);
  if (request.snapshotId !== "") {
    const snapshot = await context.cloud.getSnapshot(request.snapshotId, options);
    const matches =
      snapshot !== undefined &&
      (request.sourceVolumeId === "" || snapshot.sourceVolumeId === request.sourceVolumeId);
    return { entries: matches ? [{ snapshot: toCsiSnapshot(snapshot) }] : [], nextToken: "" };
  }
  const page = await withTokenCheck(request.startingToken, () =>
    context.cloud.listSnapshots(
      {
        limit: request.maxEntries === 0 ? undefined : Math.min(request.maxEntries, MAX_PAGE),
        pageToken: request.startingToken === "" ? undefined : request.startingToken,
        sourceVolumeId: request.sourceVolumeId === "" ? undefined : request.sourceVolumeId,
      },
      options,
    ),
  );
  return {
    entries: page.items.map((snapshot) => ({ snapshot: toCsiSnapshot(snapshot) })),
    nextToken: page.nextPageToken ?? "",
  };
}
