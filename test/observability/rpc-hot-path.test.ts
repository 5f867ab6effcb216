import assert from "node:assert/strict";
import { test } from "node:test";
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { instrumentService } from "../../src/observability/grpc-instrumentation.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { CapturedLog, seriesValue } from "./csi-harness.js";

type Handler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

/** A request that counts the fields read from it. */
function countingRequest(fields: Record<string, unknown>): { request: object; reads: string[] } {
  const reads: string[] = [];
  const request = new Proxy(fields, {
    get(target, key, receiver) {
      if (typeof key === "string") reads.push(key);
      return Reflect.get(target, key, receiver);
    },
  });
  return { request, reads };
}

function answer(handler: Handler, request: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const call = { request } as ServerUnaryCall<unknown, unknown>;
    handler(call, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

/**
 * The per-RPC cost of the instrumentation (docs/benchmarks.md, scenario 7): what every RPC pays
 * must not include work whose result is thrown away.
 */
test("a discovery RPC at the info level is counted and timed without reading the request for a log line", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const log = new CapturedLog();
  const service = instrumentService(
    "Node",
    { nodeGetCapabilities: ((_call, callback) => callback(null, { capabilities: [] })) as Handler },
    { metrics, logger: createLogger("info", log.stream) },
  );
  const { request, reads } = countingRequest({ volumeId: "vol-0000000000000033" });

  await answer(service.nodeGetCapabilities as Handler, request);

  assert.deepEqual(reads, []);
  assert.deepEqual(log.rpcRecords(), []);
  assert.equal(
    await seriesValue(metrics, "ballast_csi_operations_total", { method: "NodeGetCapabilities", code: "OK" }),
    1,
  );
});

test("the same RPC at the debug level still logs its line with the request's ids", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const log = new CapturedLog();
  const service = instrumentService(
    "Node",
    { nodeGetCapabilities: ((_call, callback) => callback(null, { capabilities: [] })) as Handler },
    { metrics, logger: createLogger("debug", log.stream) },
  );
  const { request } = countingRequest({ volumeId: "vol-0000000000000034" });

  await answer(service.nodeGetCapabilities as Handler, request);

  const [line] = log.rpcRecords();
  assert.equal(line?.level, "debug");
  assert.equal(line?.volume_id, "vol-0000000000000034");
  assert.equal(line?.grpc_code, "OK");
});

test("the in-flight gauge is read from the call tracker when scraped, not updated by every RPC", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  let gaugeUpdates = 0;
  const count = () => {
    gaugeUpdates += 1;
  };
  metrics.csiInFlight.inc = count;
  metrics.csiInFlight.dec = count;
  let release: () => void = () => {};
  const service = instrumentService(
    "Node",
    {
      nodeGetInfo: ((_call, callback) => {
        release = () => callback(null, { nodeId: "i-1" });
      }) as Handler,
    },
    { metrics, logger: createLogger("silent") },
  );

  const pending = answer(service.nodeGetInfo as Handler, {});
  assert.equal(await seriesValue(metrics, "ballast_csi_operations_in_flight", { method: "NodeGetInfo" }), 1);
  release();
  await pending;

  assert.equal(await seriesValue(metrics, "ballast_csi_operations_in_flight", { method: "NodeGetInfo" }), 0);
  assert.equal(gaugeUpdates, 0);
});
