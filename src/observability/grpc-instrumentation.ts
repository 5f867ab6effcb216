import {
  type Metadata,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { credentialValues, scrub } from "./redaction.js";

export interface InstrumentationDeps {
  metrics: Metrics;
  logger: Logger;
}

type ErrorArgument = Parameters<sendUnaryData<unknown>>[0];
type UnaryOrClientStreaming = (
  call: ServerUnaryCall<unknown, unknown>,
  callback: sendUnaryData<unknown>,
) => void;

/**
 * Faults of the driver itself are logged at error; every other failure is the caller's
 * problem, a conflict, or a cloud condition the CO retries, and is logged at warn.
 */
const ERROR_CODES = new Set<status>([status.INTERNAL, status.UNKNOWN, status.DATA_LOSS]);

/**
 * Discovery calls that the sidecars and kubelet repeat every few seconds: a success is logged
 * at debug so it does not drown the lines that matter; their failures are logged like any other.
 */
const DISCOVERY_METHODS = new Set([
  "Probe",
  "GetPluginInfo",
  "GetPluginCapabilities",
  "ControllerGetCapabilities",
  "NodeGetCapabilities",
]);

/** Request fields copied to the log line, by their log name. */
const ID_FIELDS = [
  ["volume_id", "volumeId"],
  ["source_volume_id", "sourceVolumeId"],
  ["snapshot_id", "snapshotId"],
  ["node_id", "nodeId"],
  ["name", "name"],
] as const;

/** The CSI RPC name (`CreateVolume`) of a grpc-js implementation key (`createVolume`). */
export function rpcName(implementationKey: string): string {
  return implementationKey.charAt(0).toUpperCase() + implementationKey.slice(1);
}

function codeName(code: status): string {
  return status[code] ?? String(code);
}

/** The status grpc-js will send for a callback error, worked out the way grpc-js does it. */
function statusOf(error: NonNullable<ErrorArgument>): { code: status; message: string } {
  const hasCode = typeof error.code === "number" && Number.isInteger(error.code);
  const code = hasCode ? (error.code as status) : status.UNKNOWN;
  if (hasCode && typeof error.details === "string") return { code, message: error.details };
  if ("message" in error && typeof error.message === "string") return { code, message: error.message };
  return { code, message: "Unknown Error" };
}

function stringField(source: unknown, field: string): string | undefined {
  if (typeof source !== "object" || source === null) return undefined;
  const value = (source as Record<string, unknown>)[field];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function requestIds(request: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const [logName, field] of ID_FIELDS) {
    const value = stringField(request, field);
    if (value !== undefined) ids[logName] = value;
  }
  return ids;
}

/** Ids the response created (CreateVolume, CreateSnapshot) when the request had none. */
function responseIds(response: unknown, ids: Record<string, string>): Record<string, string> {
  const created: Record<string, string> = {};
  const volumeId = stringField((response as { volume?: unknown } | null | undefined)?.volume, "volumeId");
  if (volumeId !== undefined && ids.volume_id === undefined) created.volume_id = volumeId;
  const snapshot = (response as { snapshot?: unknown } | null | undefined)?.snapshot;
  const snapshotId = stringField(snapshot, "snapshotId");
  if (snapshotId !== undefined && ids.snapshot_id === undefined) created.snapshot_id = snapshotId;
  return created;
}

function scrubbedError(error: NonNullable<ErrorArgument>, message: string, code: status): ErrorArgument {
  const metadata: Metadata | undefined = error.metadata ?? undefined;
  return metadata === undefined ? { code, details: message } : { code, details: message, metadata };
}

type RpcLevel = "debug" | "info" | "warn" | "error";

function levelOf(method: string, code: status): RpcLevel {
  if (code === status.OK) return DISCOVERY_METHODS.has(method) ? "debug" : "info";
  return ERROR_CODES.has(code) ? "error" : "warn";
}

/**
 * The `{ method, code }` label objects of one method, made once per code: prom-client hashes and
 * checks the labels it is given on every call, so an RPC should not also allocate them.
 */
function labelsByCode(method: string): (code: string) => { method: string; code: string } {
  const byCode = new Map<string, { method: string; code: string }>();
  return (code) => {
    let labels = byCode.get(code);
    if (labels === undefined) {
      labels = { method, code };
      byCode.set(code, labels);
    }
    return labels;
  };
}

function instrumentHandler(
  serviceName: string,
  method: string,
  handler: UnaryOrClientStreaming,
  deps: InstrumentationDeps,
): UnaryOrClientStreaming {
  const { metrics, logger } = deps;
  const labelsFor = labelsByCode(method);
  return (call, callback) => {
    const started = performance.now();
    const token = metrics.csiInFlightTracker.start(method);
    let finished = false;

    const finish: sendUnaryData<unknown> = (error, value, trailer, flags) => {
      if (finished) return callback(error, value, trailer, flags);
      finished = true;
      const durationMs = performance.now() - started;
      let reply = error;
      let code: status = status.OK;
      let message: string | undefined;
      if (error !== null && error !== undefined) {
        const outcome = statusOf(error);
        code = outcome.code;
        message = scrub(outcome.message, credentialValues(call.request));
        reply = scrubbedError(error, message, code);
      }
      const codeLabel = codeName(code);
      const labels = labelsFor(codeLabel);
      metrics.csiInFlightTracker.finish(method, token);
      metrics.csiOperations.inc(labels);
      metrics.csiOperationDuration.observe(labels, durationMs / 1000);
      // The line is built only when its level is written: the discovery calls kubelet and the
      // sidecars repeat are logged at debug, which production drops.
      const level = levelOf(method, code);
      if (logger.isLevelEnabled(level)) {
        const ids = requestIds(call.request);
        if (message === undefined) Object.assign(ids, responseIds(value, ids));
        const line = {
          csi_service: serviceName,
          method,
          ...ids,
          duration_ms: Math.round(durationMs * 1e3) / 1e3,
          grpc_code: codeLabel,
          ...(message === undefined ? {} : { error: message }),
        };
        logger[level](line, "rpc");
      }
      callback(reply, value, trailer, flags);
    };

    try {
      handler(call, finish);
    } catch (thrown) {
      const text = thrown instanceof Error ? thrown.message : String(thrown);
      if (finished) {
        const scrubbed = scrub(text, credentialValues(call.request));
        logger.error(
          { csi_service: serviceName, method, error: scrubbed },
          "rpc handler threw after answering",
        );
        return;
      }
      finish({ code: status.INTERNAL, details: `internal error: ${text}` } as ServerErrorResponse);
    }
  };
}

/**
 * Wraps every handler of a grpc-js service implementation (a plain object, as grpc-js and
 * ts-proto's `*Server` interfaces expect) so each RPC that answers through a callback (unary and
 * client-streaming) is counted, timed, tracked in flight and logged once, with credentials
 * scrubbed from the error message logged and returned. grpc-js passes no callback to handlers
 * that stream responses (none in Identity, Controller or Node); those calls go straight through.
 */
export function instrumentService<T extends UntypedServiceImplementation>(
  serviceName: string,
  impl: T,
  deps: InstrumentationDeps,
): T {
  const instrumented: UntypedServiceImplementation = {};
  for (const [key, handler] of Object.entries(impl)) {
    if (typeof handler !== "function") continue;
    const wrapped = instrumentHandler(serviceName, rpcName(key), handler as UnaryOrClientStreaming, deps);
    const dispatch = (call: ServerUnaryCall<unknown, unknown>, callback?: sendUnaryData<unknown>) =>
      typeof callback === "function"
        ? wrapped(call, callback)
        : (handler as (streamingCall: typeof call) => void)(call);
    instrumented[key] = dispatch as UntypedHandleCall;
  }
  return instrumented as T;
}
