import { join } from "node:path";
import type { ProviderName } from "../../src/providers/provider.js";

/** Where `ballast dev --state-dir DIR` keeps its pieces. */
export interface DevSystemLayout {
  stateDir: string;
  socketPath: string;
  byIdDir: string;
}

export function devSystemLayout(stateDir: string): DevSystemLayout {
  return {
    stateDir,
    socketPath: join(stateDir, "csi.sock"),
    byIdDir: join(stateDir, "by-id"),
  };
}

/**
 * Every port is ephemeral so suites run side by side. Another cloud's face runs without its
 * cloud's request budget (and the driver without staying under it): the suite's hundreds of
 * calls would otherwise wait minutes for a budget that is not what it tests.
 */
export function devSystemArgs(layout: DevSystemLayout, face: ProviderName = "ballast"): string[] {
  return [
    "dev",
    "--state-dir",
    layout.stateDir,
    "--endpoint",
    `unix://${layout.socketPath}`,
    "--cloud-listen",
    "127.0.0.1:0",
    "--metrics-address",
    "127.0.0.1:0",
    "--log-level",
    "warn",
    ...(face === "ballast" ? [] : ["--cloud-provider", face, "--cloud-rate-limit", "off"]),
  ];
}
