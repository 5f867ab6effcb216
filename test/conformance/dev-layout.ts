import { join } from "node:path";

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

/** Every port is ephemeral so suites run side by side. */
export function devSystemArgs(layout: DevSystemLayout): string[] {
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
  ];
}
