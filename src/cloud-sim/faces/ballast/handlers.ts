import type { components } from "../../../generated/block-storage.v1.js";
import { type Accepted, type CloudEngine, operationView } from "../../engine/index.js";
import type { FaultInjector } from "../../faults.js";
import type { LocalAttachProbe } from "../../loop-devices.js";
import type { RequestLog } from "../../request-log.js";
import type { OperationRecord } from "../../state.js";
import type { Handler, HandlerInput, Reply } from "./http-front.js";

type Schemas = components["schemas"];

export interface HandlerDependencies {
  engine: CloudEngine;
  faults: FaultInjector;
  requestLog: RequestLog;
  health: () => { localAttach: LocalAttachProbe; localInstanceId: string | undefined };
}

/** One handler per ballast contract operationId; the HTTP front has validated every input already. */
export function createHandlers({
  engine,
  faults,
  requestLog,
  health,
}: HandlerDependencies): Record<string, Handler> {
  const ok = (body: unknown): Reply => ({ status: 200, body });
  const str = (value: unknown) => (value === undefined ? undefined : String(value));
  const idempotency = (input: HandlerInput) => {
    const key = str(input.header["idempotency-key"]);
    return key === undefined ? undefined : { key, fingerprint: input.fingerprint };
  };
  const pageQuery = (input: HandlerInput) => ({
    limit: (input.query.limit as number | undefined) ?? 100,
    ...(input.query.pageToken === undefined ? {} : { pageToken: String(input.query.pageToken) }),
  });
  const pollHeaders = (operation: OperationRecord): Record<string, string> => {
    const remaining = engine.remainingMs(operation);
    return {
      "Retry-After": String(Math.floor(remaining / 1000)),
      "Poll-After-Ms": String(Math.ceil(remaining)),
    };
  };
  const accepted = ({ operation, replayed }: Accepted): Reply => ({
    status: 202,
    body: operationView(operation),
    headers: {
      Location: `/v1/operations/${operation.id}`,
      ...pollHeaders(operation),
      ...(replayed ? { "Idempotent-Replayed": "true" } : {}),
    },
  });
  const volumeId = (input: HandlerInput) => String(input.path.volumeId);
  const instanceId = (input: HandlerInput) => String(input.path.instanceId);

  return {
    listZones: () => ok(engine.listZones()),
    listVolumeTypes: () => ok(engine.listVolumeTypes()),
    getCapacity: (input) => ok(engine.getCapacity(str(input.query.zone), str(input.query.type))),
    listVolumes: (input) =>
      ok(
        engine.listVolumes({
          ...pageQuery(input),
          ...optional("name", str(input.query.name)),
          ...optional("zone", str(input.query.zone)),
          ...optional("instanceId", str(input.query.instanceId)),
          ...optional("tag", input.query.tag as string[] | undefined),
        }),
      ),
    createVolume: async (input) =>
      accepted(await engine.createVolume(input.body as Schemas["CreateVolumeRequest"], idempotency(input))),
    getVolume: (input) => ok(engine.getVolume(volumeId(input))),
    deleteVolume: async (input) => accepted(await engine.deleteVolume(volumeId(input))),
    resizeVolume: async (input) =>
      accepted(
        await engine.resizeVolume(
          volumeId(input),
          input.body as Schemas["ResizeVolumeRequest"],
          idempotency(input),
        ),
      ),
    modifyVolume: async (input) =>
      accepted(
        await engine.modifyVolume(
          volumeId(input),
          input.body as Schemas["ModifyVolumeRequest"],
          idempotency(input),
        ),
      ),
    attachVolume: async (input) =>
      accepted(
        await engine.attachVolume(
          volumeId(input),
          input.body as Schemas["AttachVolumeRequest"],
          idempotency(input),
        ),
      ),
    getAttachment: (input) => ok(engine.getAttachment(volumeId(input), instanceId(input))),
    detachVolume: async (input) => accepted(await engine.detachVolume(volumeId(input), instanceId(input))),
    listSnapshots: (input) =>
      ok(
        engine.listSnapshots({
          ...pageQuery(input),
          ...optional("name", str(input.query.name)),
          ...optional("sourceVolumeId", str(input.query.sourceVolumeId)),
        }),
      ),
    createSnapshot: async (input) =>
      accepted(
        await engine.createSnapshot(input.body as Schemas["CreateSnapshotRequest"], idempotency(input)),
      ),
    getSnapshot: (input) => ok(engine.getSnapshot(String(input.path.snapshotId))),
    deleteSnapshot: async (input) => accepted(await engine.deleteSnapshot(String(input.path.snapshotId))),
    listSnapshotGroups: (input) =>
      ok(engine.listSnapshotGroups({ ...pageQuery(input), ...optional("name", str(input.query.name)) })),
    createSnapshotGroup: async (input) =>
      accepted(
        await engine.createSnapshotGroup(
          input.body as Schemas["CreateSnapshotGroupRequest"],
          idempotency(input),
        ),
      ),
    getSnapshotGroup: (input) => ok(engine.getSnapshotGroup(String(input.path.snapshotGroupId))),
    deleteSnapshotGroup: async (input) =>
      accepted(await engine.deleteSnapshotGroup(String(input.path.snapshotGroupId))),
    listInstances: (input) =>
      ok(
        engine.listInstances({
          ...pageQuery(input),
          ...optional("name", str(input.query.name)),
          ...optional("zone", str(input.query.zone)),
        }),
      ),
    getInstance: (input) => ok(engine.getInstance(instanceId(input))),
    getOperation: (input) => {
      const operation = engine.getOperation(String(input.path.operationId));
      return {
        status: 200,
        body: operationView(operation),
        headers: operation.status === "running" ? pollHeaders(operation) : {},
      };
    },
    getHealth: () => {
      const { localAttach, localInstanceId } = health();
      return ok({
        status: "ok",
        localAttach: {
          available: localAttach.available,
          ...(localInstanceId === undefined ? {} : { instanceId: localInstanceId }),
          ...(localAttach.available ? {} : { reason: localAttach.reason }),
        },
      });
    },
    getFaults: () => ok(faults.get()),
    setFaults: (input) => ok(faults.set(input.body as Schemas["FaultConfig"])),
    getRequestLog: (input) => ok(requestLog.read(str(input.query.operationId))),
    resetRequestLog: () => {
      requestLog.reset();
      return { status: 204 };
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
