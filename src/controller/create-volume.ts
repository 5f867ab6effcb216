import type { CreateVolumeRequest, CreateVolumeResponse } from "../generated/csi.js";
import {
  alreadyExists,
  BallastError,
  internal,
  invalidArgument,
  notFound,
  unavailable,
} from "../shared/errors.js";
import { checkCapabilities, checkMountFlags, requestedFsType } from "./access-modes.js";
import type { CreateVolumeInput, OperationOptions, Volume, VolumeType } from "./block-storage.js";
import { type CapacityRequest, chooseVolumeSize, sizeSatisfies } from "./capacity-range.js";
import { checkedCoName, cloudNameOf } from "./cloud-names.js";
import { type ControllerContext, lockKeys } from "./controller-context.js";
import { toCsiVolume } from "./csi-mapping.js";
import { creationKey } from "./idempotency-keys.js";
import {
  CSI_NAME_TAG,
  MANAGED_BY_TAG,
  type MutableParameters,
  parseMutableParameters,
  parseVolumeParameters,
  refuseUnsupportedParameters,
  resolveFsType,
  type VolumeParameters,
} from "./storage-class-parameters.js";
import { allowedZones, chooseZone } from "./topology.js";
import { volumeContextOf } from "./volume-context.js";
import { checkPerformance, chooseVolumeType } from "./volume-type-rules.js";

interface Source {
  kind: "snapshot" | "volume";
  id: string;
  sizeBytes: number;
  /** A source volume's zone, where its clone must be made; snapshots carry no zone. */
  zone?: string | undefined;
  /** The cloud encrypts a copy of an encrypted source whatever the request says. */
  encrypted: boolean;
  /**
   * Set when the source is gone but a volume already holds this request's name: the answer if it
   * is compatible, else the source's NotFound stands.
   */
  made?: { volume: Volume; sourceMissing: BallastError } | undefined;
}

/**
 * CreateVolume: validate everything before touching the cloud, then create by the CO's name. An
 * existing volume with a compatible spec is the answer (idempotency); an incompatible one is
 * AlreadyExists naming the difference. The create carries an Idempotency-Key derived from the
 * name, so a retry after a lost answer or a crash replays rather than duplicates. The cloud knows
 * the volume by `cloudNameOf(name)`, and every lookup by name goes through that mapping. The
 * volume context records the tier, so ControllerPublishVolume can attach without reading it.
 */
export async function createVolume(
  context: ControllerContext,
  request: CreateVolumeRequest,
  options: OperationOptions,
): Promise<CreateVolumeResponse> {
  const cloudName = cloudNameOf(checkedCoName("name", request.name));
  refuseUnsupportedParameters(context.provider, "parameters", request.parameters);
  refuseUnsupportedParameters(context.provider, "mutable_parameters", request.mutableParameters);
  checkSourceSupported(context, request);
  const parameters = parseVolumeParameters(request.parameters);
  const mutable = parseMutableParameters(request.mutableParameters);
  const { fsType, mkfsOptions } = resolveFsType(
    requestedFsType("volume_capabilities", request.volumeCapabilities),
    parameters,
  );
  checkMountFlags("volume_capabilities", request.volumeCapabilities, fsType);
  return context.locks.run("CreateVolume", [lockKeys.volumeName(cloudName)], async () => {
    const types = await context.catalog.volumeTypes(options);
    const typeName = mutable.type ?? parameters.type ?? context.defaultVolumeType;
    const tier = chooseVolumeType(
      context.provider,
      mutable.type ? "mutable_parameters.type" : "parameters.type",
      typeName,
      types,
    );
    checkCapabilities("volume_capabilities", request.volumeCapabilities, context.provider, tier);
    const performance = checkedPerformance(tier, parameters, mutable);
    if (parameters.encrypted && !tier.supportsEncryption) {
      throw invalidArgument(`parameters.encrypted: tier ${tier.name} does not support encryption`);
    }
    const source = await findSource(context, request, cloudName, options);
    const capacity: CapacityRequest = {
      requiredBytes: request.capacityRange?.requiredBytes ?? 0n,
      limitBytes: request.capacityRange?.limitBytes ?? 0n,
    };
    const sizeBytes = chooseVolumeSize(
      source !== undefined && BigInt(source.sizeBytes) > capacity.requiredBytes
        ? { ...capacity, requiredBytes: BigInt(source.sizeBytes) }
        : capacity,
      tier,
    );
    const zones = await context.catalog.zoneList(options);
    const zone = chooseZone({
      requirement: request.accessibilityRequirements,
      openZones: zones.filter((z) => z.available).map((z) => z.name),
      defaultZone: context.defaultZone,
      sourceZone: source?.zone,
      sourceDescription: source && `source ${source.kind} ${source.id}`,
    });
    const input: CreateVolumeInput = {
      name: cloudName,
      sizeBytes,
      zone,
      type: tier.name,
      iops: performance.iops,
      throughput: performance.throughput,
      encrypted: parameters.encrypted,
      kmsKeyId: parameters.kmsKeyId,
      tags: { ...parameters.tags, [MANAGED_BY_TAG]: context.driverName, [CSI_NAME_TAG]: request.name },
      sourceSnapshotId: source?.kind === "snapshot" ? source.id : undefined,
      sourceVolumeId: source?.kind === "volume" ? source.id : undefined,
    };
    const volume = source?.made?.volume ?? (await createOrAdopt(context, input, options));
    checkCompatible(
      volume,
      { ...input, encrypted: input.encrypted || source?.encrypted === true },
      capacity,
      request,
      source?.made?.sourceMissing,
    );
    const volumeContext = volumeContextOf({
      mkfsOptions,
      storageClassFsType: parameters.fsType,
      typeName: tier.name,
    });
    return { volume: toCsiVolume(ready(volume), volumeContext) };
  });
}

/**
 * Each of IOPS and throughput is checked under the field it came from: a mutable parameter
 * overrides its StorageClass counterpart one value at a time, so the two maps may each supply one.
 */
function checkedPerformance(
  tier: VolumeType,
  parameters: VolumeParameters,
  mutable: MutableParameters,
): { iops?: number | undefined; throughput?: number | undefined } {
  const fieldOf = (mutableValue: number | undefined) =>
    mutableValue === undefined ? "parameters" : "mutable_parameters";
  const { iops } = checkPerformance(fieldOf(mutable.iops), tier, { iops: mutable.iops ?? parameters.iops });
  const { throughput } = checkPerformance(fieldOf(mutable.throughput), tier, {
    throughput: mutable.throughput ?? parameters.throughput,
  });
  return { iops, throughput };
}

/**
 * Creates first: the cloud answers a known name with the same spec (or a replayed Idempotency-Key)
 * with the operation that created it, so the usual call costs no lookup. Only a name taken with a
 * different spec (409 already_exists, or 422 idempotency_key_mismatch for a retry with other
 * parameters) is looked up, so the compatibility check decides between OK and AlreadyExists.
 */
async function createOrAdopt(
  context: ControllerContext,
  input: CreateVolumeInput,
  options: OperationOptions,
): Promise<Volume> {
  const idempotencyKey = creationKey(context.driverName, "volume", input.name);
  try {
    return await context.cloud.createVolume(input, { ...options, idempotencyKey });
  } catch (error) {
    if (error instanceof BallastError && error.kind === "AlreadyExists") {
      const existing = await context.cloud.findVolumeByName(input.name, options);
      if (existing !== undefined) return existing;
    }
    if (error instanceof BallastError && error.kind === "Internal") {
      await deleteFailedCreate(context, input, error, options);
    }
    throw error;
  }
}

/**
 * A create whose cloud operation failed leaves a volume in `error` under the name, and the cloud
 * answers every retry with that failed operation: the CO would retry forever while the broken
 * volume holds quota. It never held data, so it is deleted (the cloud then forgets the name's
 * Idempotency-Key) and the error says the next retry starts over.
 */
async function deleteFailedCreate(
  context: ControllerContext,
  input: CreateVolumeInput,
  error: BallastError,
  options: OperationOptions,
): Promise<void> {
  let failed: Volume | undefined;
  try {
    failed = await context.cloud.findVolumeByName(input.name, options);
    if (failed?.status !== "error" || failed.tags[CSI_NAME_TAG] !== input.tags[CSI_NAME_TAG]) return;
    await context.cloud.deleteVolume(failed.id, options);
  } catch {
    // The create's own error says more; the next retry finds the volume and tries again.
    return;
  }
  throw internal(
    `${error.message}; the failed volume ${failed.id} was deleted, a retry creates it anew`,
    error,
  );
}

/**
 * A content source the provider cannot copy from is refused before anything else, naming the field
 * and the provider: restoring needs snapshots, cloning needs clones.
 */
function checkSourceSupported(context: ControllerContext, request: CreateVolumeRequest): void {
  const source = request.volumeContentSource?.type;
  if (source === undefined) return;
  const { name, capabilities } = context.provider;
  if (source.$case === "snapshot" && !capabilities.snapshots) {
    throw invalidArgument(
      `volume_content_source.snapshot: provider ${name} cannot restore a volume from a snapshot`,
    );
  }
  if (source.$case === "volume" && !capabilities.clones) {
    throw invalidArgument(`volume_content_source.volume: provider ${name} cannot clone a volume`);
  }
}

async function findSource(
  context: ControllerContext,
  request: CreateVolumeRequest,
  cloudName: string,
  options: OperationOptions,
): Promise<Source | undefined> {
  const source = request.volumeContentSource?.type;
  if (source === undefined) return undefined;
  if (source.$case === "snapshot") {
    const id = source.value.snapshotId;
    if (id === "") throw invalidArgument("volume_content_source.snapshot.snapshot_id: is required");
    const snapshot = await context.cloud.getSnapshot(id, options);
    if (snapshot === undefined) {
      const missing = notFound(`volume_content_source.snapshot.snapshot_id: snapshot ${id} does not exist`);
      return goneSource(context, { kind: "snapshot", id }, cloudName, missing, options);
    }
    if (!snapshot.readyToUse)
      throw unavailable(`snapshot ${id} is ${snapshot.status}, not ready to restore yet`);
    return { kind: "snapshot", id, sizeBytes: snapshot.sizeBytes, encrypted: snapshot.encrypted };
  }
  const id = source.value.volumeId;
  if (id === "") throw invalidArgument("volume_content_source.volume.volume_id: is required");
  const volume = await context.cloud.getVolume(id, options);
  if (volume === undefined) {
    const missing = notFound(`volume_content_source.volume.volume_id: volume ${id} does not exist`);
    return goneSource(context, { kind: "volume", id }, cloudName, missing, options);
  }
  return { kind: "volume", id, sizeBytes: volume.sizeBytes, zone: volume.zone, encrypted: volume.encrypted };
}

/**
 * A source deleted after its copy was made (the snapshot deleted while CreateVolume's answer was
 * lost) must not fail the retry: the spec wants OK for an existing compatible volume. So a missing
 * source looks up this request's name, and only then, so the usual create costs no lookup. The
 * volume stands in for the source: a copy is encrypted when its source was. The source's size and
 * zone are unknown and left out, so the volume's own size and zone face the request's range and
 * topology. With no volume by the name, the source's NotFound stands.
 */
async function goneSource(
  context: ControllerContext,
  source: Pick<Source, "kind" | "id">,
  cloudName: string,
  sourceMissing: BallastError,
  options: OperationOptions,
): Promise<Source> {
  const volume = await context.cloud.findVolumeByName(cloudName, options);
  if (volume === undefined) throw sourceMissing;
  return {
    ...source,
    sizeBytes: 0,
    encrypted: volume.encrypted,
    made: { volume, sourceMissing },
  };
}

function checkCompatible(
  volume: Volume,
  input: CreateVolumeInput,
  capacity: CapacityRequest,
  request: CreateVolumeRequest,
  refusal?: BallastError,
): void {
  const differences: string[] = [];
  const coName = volume.tags[CSI_NAME_TAG];
  if (coName !== undefined && coName !== request.name) differences.push(`CO name ${JSON.stringify(coName)}`);
  if (!sizeSatisfies(volume.sizeBytes, capacity)) differences.push(`size ${volume.sizeBytes} bytes`);
  if (volume.type !== input.type) differences.push(`type ${volume.type}`);
  if (volume.encrypted !== input.encrypted) differences.push(`encrypted ${volume.encrypted}`);
  if (input.kmsKeyId !== undefined && volume.kmsKeyId !== input.kmsKeyId) differences.push("kmsKeyId");
  if (input.iops !== undefined && volume.iops !== input.iops) differences.push(`iops ${volume.iops}`);
  if (input.throughput !== undefined && volume.throughput !== input.throughput) {
    differences.push(`throughput ${volume.throughput}`);
  }
  if (volume.sourceSnapshotId !== input.sourceSnapshotId || volume.sourceVolumeId !== input.sourceVolumeId) {
    differences.push(`content source ${volume.sourceSnapshotId ?? volume.sourceVolumeId ?? "none"}`);
  }
  const zones = allowedZones(request.accessibilityRequirements);
  if (zones !== undefined && !zones.includes(volume.zone)) differences.push(`zone ${volume.zone}`);
  if (differences.length > 0) {
    // A volume found only because the source is gone is not what this request asked for: the
    // source's NotFound is the answer, not the name's AlreadyExists.
    if (refusal !== undefined) throw refusal;
    throw alreadyExists(
      `name: volume ${JSON.stringify(request.name)} already exists as ${volume.id} (cloud name ${volume.name}) with ${differences.join(", ")}, incompatible with this request`,
    );
  }
}

/**
 * A volume found by name may still be creating (an earlier attempt that lost its answer): the CO
 * retries CreateVolume until it is available, so say so instead of handing out an unusable id.
 */
function ready(volume: Volume): Volume {
  if (volume.status === "available" || volume.status === "in-use") return volume;
  if (volume.status === "creating") throw unavailable(`volume ${volume.id} is still being created`);
  throw internal(`volume ${volume.id} is in status ${volume.status}`);
}
