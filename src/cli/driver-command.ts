import { Command } from "commander";
import { createLogger } from "../observability/logger.js";
import { Metrics } from "../observability/metrics.js";
import { resolveDriverConfig } from "./driver-config.js";
import { addDriverOptions, type DriverMode, type RawDriverOptions } from "./driver-options.js";
import { EXIT_CONFIG, startupFailureLine, stopOnSignal } from "./exit.js";
import type { RunningDriver } from "./run-driver.js";
import { vendorVersion } from "./vendor-version.js";

const DESCRIPTIONS: Record<DriverMode, string> = {
  controller:
    "Run the CSI Identity and Controller services: one per cluster, behind the CSI sidecars (external-provisioner, -attacher, -resizer, -snapshotter).",
  node: "Run the CSI Identity and Node services: one per node, privileged and as root, because staging formats and mounts the volume's device.",
  all: "Run Identity, Controller and Node in one process, for single-machine setups.",
};

/**
 * Runs until SIGTERM or SIGINT, then drains in-flight RPCs (bounded) and exits 0. Any failure to
 * start prints one line and exits 2.
 */
export function driverCommand(mode: DriverMode): Command {
  const command = new Command(mode).description(DESCRIPTIONS[mode]).exitOverride();
  addDriverOptions(command, mode);
  return command.action(async (raw: RawDriverOptions) => {
    let driver: RunningDriver;
    try {
      const config = await resolveDriverConfig(mode, raw, process.env);
      // Loaded here, so `--help` and a refused configuration never load gRPC and the services.
      const { startDriver } = await import("./run-driver.js");
      const logger = createLogger(config.logLevel);
      driver = await startDriver(config, { logger, metrics: new Metrics(), vendorVersion: vendorVersion() });
    } catch (error) {
      process.stderr.write(`${startupFailureLine(error)}\n`);
      process.exit(EXIT_CONFIG);
    }
    stopOnSignal(() => driver.stop());
  });
}
