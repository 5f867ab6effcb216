import type {
  CreateSnapshotRequest,
  CreateSnapshotResponse,
  GetSnapshotResponse,
  ListSnapshotsRequest,
  ListSnapshotsResponse,
} from "../generated/csi.js";
import { alreadyExists, BallastError, internal, invalidArgument, notFound } from "../shared/errors.js";
import type { OperationOptions, Snapshot } from "./block-storage.js";
import { checkedCoName, cloudNameOf } from "./cloud-names.js";
import { type ControllerContext, lockKeys } from "./controller-context.js";
import { toCsiSnapshot } from "./csi-mapping.js";
import { creationKey } from "./idempotency-keys.js";
import { CSI_NAME_TAG, MANAGED_BY_TAG } from "./storage-class-parameters.js";
import { checkedTagValue } from "./tag-checks.js";
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
    const tag = Object.hasOwn(SNAPSHOT_METADATA_TAGS, key) ? SNAPSHOT_METADATA_TAGS[key] : undefined;
    if (tag === undefined) throw invalidArgument(`parameters.${key}: unknown snapshot parameter`);
    tags[tag] = checkedTagValue(`parameters.${key}`, tag, value);
  }
  return tags;
}

/** A snapshot found by cloud name answers this request only if it is the same CO name of the same volume. */
function sameSnapshot(snapshot: Snapshot, request: CreateSnapshotRequest): Snapshot {
  const coName = snapshot.tags[CSI_NAME_TAG];
  if (coName !== undefined && coName !== request.name) {
    throw alreadyExists(
      `name: cloud name ${snapshot.name} of snapshot ${JSON.stringify(request.name)} is taken by ${snapshot.id}, the snapshot named ${JSON.stringify(coName)}`,
    );
  }
  if (snapshot.sourceVolumeId !== request.sourceVolumeId) {
    throw alreadyExists(
      `name: snapshot ${JSON.stringify(request.name)} already exists as ${snapshot.id} of volume ${snapshot.sourceVolumeId}, not ${request.sourceVolumeId}`,
    );
  }
  return snapshot;
}

/**
 * A snapshot whose copy failed would answer every retry of its name with the same failure, for
 * ever: it holds nothing, so it is deleted (the cloud then forgets the name's Idempotency-Key) and
 * the error says the next retry starts over.
 */
async function usable(
  context: ControllerContext,
  snapshot: Snapshot,
  options: OperationOptions,
): Promise<Snapshot> {
  if (snapshot.status !== "error") return snapshot;
  try {
    await context.cloud.deleteSnapshot(snapshot.id, options);
  } catch {
    // The next retry finds it again and tries the delete again.
    throw internal(`snapshot ${snapshot.id} failed in the cloud`);
  }
  throw internal(`snapshot ${snapshot.id} failed in the cloud; it was deleted, a retry creates it anew`);
}

/**
 * CreateSnapshot: start it, and answer at once. The cloud cuts the snapshot when it accepts the
 * request, so the answer is ready_to_use=false while it is pending and true on a later call: the
 * RPC never waits for the copy, let alone past its deadline. The cloud answers a known name of the
 * same volume with the snapshot it made, so only a refusal (another volume, or a retry with other
 * parameters) looks the name up to word the answer. The cloud knows the snapshot by
 * `cloudNameOf(name)`, and every lookup by name goes through that mapping.
 */
export async function createSnapshot(
  context: ControllerContext,
  request: CreateSnapshotRequest,
  options: OperationOptions,
): Promise<CreateSnapshotResponse> {
  const cloudName = cloudNameOf(checkedCoName("name", request.name));
  const tags = snapshotTags(context, request);
  return context.locks.run("CreateSnapshot", [lockKeys.snapshotName(cloudName)], async () => {
    const idempotencyKey = creationKey(context.driverName, "snapshot", cloudName);
    try {
      const snapshot = await context.cloud.createSnapshot(
        { name: cloudName, sourceVolumeId: request.sourceVolumeId, tags },
        { ...options, idempotencyKey },
      );
      return { snapshot: toCsiSnapshot(await usable(context, sameSnapshot(snapshot, request), options)) };
    } catch (error) {
      if (error instanceof BallastError && error.kind === "AlreadyExists") {
        const existing = await context.cloud.findSnapshotByName(cloudName, options);
        if (existing !== undefined) {
          return { snapshot: toCsiSnapshot(await usable(context, sameSnapshot(existing, request), options)) };
        }
      }
      if (error instanceof BallastError && error.kind === "NotFound") {
        throw notFound(`source_volume_id: volume ${request.sourceVolumeId} does not exist`);
      }
      throw error;
    }
  });
}

/** DeleteSnapshot; a snapshot already gone is success. */
export async function deleteSnapshot(
  context: ControllerContext,
  snapshotId: string,
  options: OperationOptions,
): Promise<void> {
  await context.locks.run("DeleteSnapshot", [lockKeys.snapshotId(snapshotId)], () =>
    context.cloud.deleteSnapshot(snapshotId, options),
  );
}

export async function getSnapshot(
  context: ControllerContext,
  snapshotId: string,
  options: OperationOptions,
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
  options: OperationOptions,
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
