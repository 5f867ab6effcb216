import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { credentials, Server, ServerCredentials, type ServiceError } from "@grpc/grpc-js";
import {
  ControllerClient,
  type ControllerServer,
  ControllerService,
  IdentityClient,
  type IdentityServer,
  IdentityService,
} from "../../src/generated/csi.js";
import { instrumentService } from "../../src/observability/grpc-instrumentation.js";
import { createLogger, type Logger, type LogLevel } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";

/** Every line a logger wrote, raw and parsed. */
export class CapturedLog {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });

  get text(): string {
    return this.lines.join("\n");
  }

  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  rpcRecords(): Record<string, unknown>[] {
    return this.records().filter((record) => record.msg === "rpc");
  }
}

export interface CsiHarness {
  metrics: Metrics;
  logger: Logger;
  log: CapturedLog;
  controller: ControllerClient;
  identity: IdentityClient;
  close(): Promise<void>;
}

/**
 * A real grpc-js server on a unix socket in a fresh temp dir, serving instrumented fake
 * Identity and Controller services, and clients for both. Methods the fakes leave out answer
 * UNIMPLEMENTED from grpc-js.
 */
export async function startCsiHarness(
  fakes: { controller?: Partial<ControllerServer>; identity?: Partial<IdentityServer> },
  level: LogLevel = "debug",
): Promise<CsiHarness> {
  const dir = await mkdtemp(join(tmpdir(), "ballast-obs-"));
  const metrics = new Metrics({ defaultMetrics: false });
  const log = new CapturedLog();
  const logger = createLogger(level, log.stream);
  const server = new Server();
  server.addService(
    ControllerService,
    instrumentService("Controller", (fakes.controller ?? {}) as ControllerServer, { metrics, logger }),
  );
  server.addService(
    IdentityService,
    instrumentService("Identity", (fakes.identity ?? {}) as IdentityServer, { metrics, logger }),
  );
  const address = `unix://${join(dir, "csi.sock")}`;
  try {
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  } catch (error) {
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const controller = new ControllerClient(address, credentials.createInsecure());
  const identity = new IdentityClient(address, credentials.createInsecure());
  return {
    metrics,
    logger,
    log,
    controller,
    identity,
    close: async () => {
      controller.close();
      identity.close();
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Calls a grpc-js client method and settles with its response or its ServiceError. */
export function call<Req, Res>(
  method: (request: Req, callback: (error: ServiceError | null, response: Res) => void) => unknown,
  client: object,
  request: Req,
): Promise<{ error: ServiceError | null; response: Res | undefined }> {
  return new Promise((resolve) => {
    method.call(client, request, (error, response) =>
      resolve({ error, response: error ? undefined : response }),
    );
  });
}

/** Value of one series of a counter or gauge, 0 when the series does not exist. */
export async function seriesValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  const match = values.find((value) =>
    Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return match?.value ?? 0;
}

/** Number of observations of one histogram series (its `_count`). */
export async function histogramCount(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  const match = values.find(
    (value) =>
      (value as { metricName?: string }).metricName === `${name}_count` &&
      Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return match?.value ?? 0;
}
