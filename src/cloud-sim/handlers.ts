import type { components } from "../generated/block-storage.v1.js";
import { type Accepted, type CloudService, operationView } from "./cloud-service.js";
import type { FaultInjector } from "./faults.js";
import type { Handler, HandlerInput, Reply } from "./http-server.js";
import type { LocalAttachProbe } from "./loop-devices.js";
import type { RequestLog } from "./request-log.js";
import type { OperationRecord } from "./state.js";

type Schemas = components["schemas"];

export interface HandlerDependencies {
  service: CloudService;
  faults: FaultInjector;
  requestLog: RequestLog;
  health: () => { localAttach: LocalAttachProbe; localInstanceId: string | undefined };
}

/** One handler per contract operationId; the HTTP front has validated every input already. */
export function createHandlers({
  service,
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
    const remaining = service.remainingMs(operation);
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
    listZones: () => ok(service.listZones()),
    listVolumeTypes: () => ok(service.listVolumeTypes()),
    getCapacity: (input) => ok(service.getCapacity(str(input.query.zone), str(input.query.type))),
    listVolumes: (input) =>
      ok(
        service.listVolumes({
          ...pageQuery(input),
          ...optional("name", str(input.query.name)),
          ...optional("zone", str(input.query.zone)),
          ...optional("instanceId", str(input.query.instanceId)),
          ...optional("tag", input.query.tag as string[] | undefined),
        }),
      ),
    createVolume: async (input) =>
      accepted(await service.createVolume(input.body as Schemas["CreateVolumeRequest"], idempotency(input))),
    getVolume: (input) => ok(service.getVolume(volumeId(input))),
    deleteVolume: async (input) => accepted(await service.deleteVolume(volumeId(input))),
    resizeVolume: async (input) =>
      accepted(
        await service.resizeVolume(
          volumeId(input),
          input.body as Schemas["ResizeVolumeRequest"],
          idempotency(input),
        ),
      ),
    modifyVolume: async (input) =>
      accepted(
        await service.modifyVolume(
          volumeId(input),
          input.body as Schemas["ModifyVolumeRequest"],
          idempotency(input),
        ),
      ),
    attachVolume: async (input) =>
      accepted(
        await service.attachVolume(
          volumeId(input),
          input.body as Schemas["AttachVolumeRequest"],
          idempotency(input),
        ),
      ),
    getAttachment: (input) => ok(service.getAttachment(volumeId(input), instanceId(input))),
    detachVolume: async (input) => accepted(await service.detachVolume(volumeId(input), instanceId(input))),
    listSnapshots: (input) =>
      ok(
        service.listSnapshots({
          ...pageQuery(input),
          ...optional("name", str(input.query.name)),
          ...optional("sourceVolumeId", str(input.query.sourceVolumeId)),
        }),
      ),
    createSnapshot: async (input) =>
      accepted(
        await service.createSnapshot(input.body as Schemas["CreateSnapshotRequest"], idempotency(input)),
      ),
    getSnapshot: (input) => ok(service.getSnapshot(String(input.path.snapshotId))),
    deleteSnapshot: async (input) => accepted(await service.deleteSnapshot(String(input.path.snapshotId))),
    listInstances: (input) =>
      ok(
        service.listInstances({
          ...pageQuery(input),
          ...optional("name", str(input.query.name)),
          ...optional("zone", str(input.query.zone)),
        }),
      ),
    getInstance: (input) => ok(service.getInstance(instanceId(input))),
    getOperation: (input) => {
      const operation = service.getOperation(String(input.path.operationId));
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
