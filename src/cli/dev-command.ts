import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { credentials, Metadata } from "@grpc/grpc-js";
import { Command, Option } from "commander";
import { faceFor } from "../cloud-sim/faces/faces.js";
import { type ReferenceCloud, startReferenceCloud } from "../cloud-sim/index.js";
import { parseEndpoint } from "../csi/endpoint.js";
import { IdentityClient } from "../generated/csi.js";
import { parseListenAddress } from "../observability/listen-address.js";
import { createLogger, LOG_LEVELS, type LogLevel, stdioDestination } from "../observability/logger.js";
import { Metrics } from "../observability/metrics.js";
import { parseProviderName } from "../providers/registry.js";
import { invalidArgument } from "../shared/errors.js";
import { type DriverConfig, nonEmpty } from "./driver-config.js";
import { DEFAULT_DRIVER_NAME, envName } from "./driver-options.js";
import { EXIT_CONFIG, startupFailureLine, stopOnSignal } from "./exit.js";
import { type RunningDriver, startDriver } from "./run-driver.js";
import { vendorVersion } from "./vendor-version.js";

interface RawDevOptions {
  stateDir: string;
  endpoint?: string;
  cloudListen: string;
  metricsAddress: string;
  driverName: string;
  logLevel: string;
  cloudLatencyMs: string;
  cloudProvider: string;
  cloudRateLimit: "real" | "off";
}

function option(flags: string, description: string): Option {
  const long = flags.split(/[ ,]+/).find((part) => part.startsWith("--")) ?? flags;
  return new Option(flags, description).env(envName(long));
}

/** Resolves once an Identity call answers on the socket: the point where `ready` is true. */
function waitServing(address: string): Promise<void> {
  const client = new IdentityClient(address, credentials.createInsecure());
  return new Promise<void>((resolvePromise, reject) => {
    client.getPluginInfo({}, new Metadata(), { deadline: Date.now() + 10_000 }, (error) => {
      client.close();
      if (error === null) resolvePromise();
      else reject(error);
    });
  });
}

/**
 * `ballast dev`: the reference cloud and an `all` driver in one process, state under
 * --state-dir. Prints the socket, the cloud URL and the metrics URL, then `ready` once the socket
 * answers. SIGINT/SIGTERM stop the driver (draining), then the cloud, removing this machine's loop
 * devices and links (the cloud's state keeps the attachments and recreates them next start).
 */
export function devCommand(): Command {
  return new Command("dev")
    .description("Run the reference cloud and an `all` driver together in one process, for development.")
    .exitOverride()
    .addOption(
      option("--state-dir <dir>", "where the cloud's data, device links and socket live").default("./.state"),
    )
    .addOption(option("--endpoint <url>", "CSI endpoint (default: unix://<state-dir>/csi.sock)"))
    .addOption(
      option("--cloud-listen <host:port>", "reference cloud listen address").default("127.0.0.1:8787"),
    )
    .addOption(
      option("--metrics-address <host:port>", "metrics and health endpoint").default("127.0.0.1:9808"),
    )
    .addOption(option("--driver-name <name>", "CSI driver name").default(DEFAULT_DRIVER_NAME))
    .addOption(
      option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent").default("info"),
    )
    .addOption(
      option("--cloud-latency-ms <ms>", "how long the cloud's asynchronous work takes").default("100"),
    )
    .addOption(
      option(
        "--cloud-provider <name>",
        "the API the reference cloud serves and the driver drives: ballast, digitalocean or hetzner",
      ).default("ballast"),
    )
    .addOption(
      option(
        "--cloud-rate-limit <real|off>",
        "real: another cloud's face enforces that cloud's request budget and the driver stays under it; off: neither limits (test suites)",
      )
        .choices(["real", "off"])
        .default("real"),
    )
    .action(async (raw: RawDevOptions) => {
      let cloud: ReferenceCloud | undefined;
      let driver: RunningDriver | undefined;
      try {
        // resolve("") is the working directory: an empty --state-dir would fill it with state.
        nonEmpty("--state-dir", raw.stateDir, process.env);
        const driverName = nonEmpty("--driver-name", raw.driverName, process.env);
        if (!(LOG_LEVELS as readonly string[]).includes(raw.logLevel)) {
          throw invalidArgument(`--log-level: "${raw.logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
        }
        const latency = Number(raw.cloudLatencyMs);
        if (!/^[0-9]+$/.test(raw.cloudLatencyMs)) {
          throw invalidArgument(`--cloud-latency-ms: "${raw.cloudLatencyMs}" is not a whole number`);
        }
        const provider = parseProviderName("--cloud-provider", raw.cloudProvider);
        const listen = parseListenAddress(raw.cloudListen, "--cloud-listen");
        parseListenAddress(raw.metricsAddress);
        const stateDir = resolve(raw.stateDir);
        const endpoint = parseEndpoint(raw.endpoint ?? `unix://${join(stateDir, "csi.sock")}`);
        const byIdDir = join(stateDir, "by-id");
        await mkdir(byIdDir, { recursive: true });
        // stdout carries the lines a script waits for; logs go to stderr.
        const logger = createLogger(raw.logLevel as LogLevel, stdioDestination(2));
        cloud = await startReferenceCloud({
          host: listen.host,
          port: listen.port,
          dataDir: join(stateDir, "cloud"),
          byIdDir,
          operationLatencyMs: latency,
          logger: logger.child({ component: "reference-cloud" }),
          api: provider,
          ...(raw.cloudRateLimit === "off" ? { apiRateLimit: false } : {}),
        });
        // Another cloud's face serves its API under its own base path and a metadata service at
        // the root, as that cloud does at 169.254.169.254; the node finds itself there.
        const ownApi = provider === "ballast";
        const unlimited = ownApi || raw.cloudRateLimit === "off";
        const config: DriverConfig = {
          mode: "all",
          endpoint,
          driverName,
          provider,
          cloud: {
            url: cloud.apiUrl,
            token: { value: cloud.token },
            // Other clouds' faces enforce those clouds' request budgets: their providers' defaults stay under them.
            ...(unlimited ? { qps: 100, burst: 200 } : {}),
          },
          // The local instance is in the face's first zone; a controller placed there creates
          // volumes without topology requirements in its own zone, which the face certainly has.
          ...(ownApi ? {} : { zone: faceFor(provider).defaultZones[0]?.name }),
          defaultVolumeType: "balanced",
          logLevel: raw.logLevel as LogLevel,
          metricsAddress: raw.metricsAddress,
          drainTimeoutMs: 30_000,
          node: {
            ...(ownApi ? { nodeId: cloud.localInstanceId } : { metadataUrl: cloud.url }),
            nodeName: hostname(),
            byIdDir,
            stateDir: join(stateDir, "node"),
            deviceWaitMs: 30_000,
          },
        };
        driver = await startDriver(config, {
          logger,
          metrics: new Metrics(),
          vendorVersion: vendorVersion(),
        });
        await waitServing(driver.csi.address);
        const socket = endpoint.kind === "unix" ? endpoint.path : driver.csi.address;
        process.stdout.write(`socket: ${socket}\n`);
        process.stdout.write(`cloud: ${cloud.url}\n`);
        process.stdout.write(`cloud token: ${cloud.token}\n`);
        process.stdout.write(`metrics: ${driver.observability?.url}/metrics\n`);
        process.stdout.write("ready\n");
        if (!cloud.localAttach.available) {
          process.stderr.write(
            `ballast dev: volumes can be created but not attached to this machine: ${cloud.localAttach.reason}\n`,
          );
        }
      } catch (error) {
        process.stderr.write(`${startupFailureLine(error)}\n`);
        await driver?.stop().catch(() => undefined);
        await cloud?.close({ detachLocalDevices: true }).catch(() => undefined);
        process.exit(EXIT_CONFIG);
      }
      const running = { driver, cloud };
      stopOnSignal(async () => {
        await running.driver.stop();
        await running.cloud.close({ detachLocalDevices: true });
      });
    });
}
