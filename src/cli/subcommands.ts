import type { Command } from "commander";

/**
 * The sub-commands of `ballast`, each loaded only when it runs: the driver modes then never load
 * the reference cloud, ajv or yaml, which a node plugin on every node would pay for in memory.
 */
export interface Subcommand {
  name: string;
  /** The one line `ballast --help` shows; `ballast <name> --help` shows the full description. */
  summary: string;
  load(): Promise<Command>;
}

const driver = (mode: "controller" | "node" | "all") => async () =>
  (await import("./driver-command.js")).driverCommand(mode);

export const SUBCOMMANDS: readonly Subcommand[] = [
  { name: "controller", summary: "CSI controller plugin (one per cluster)", load: driver("controller") },
  { name: "node", summary: "CSI node plugin (one per node, as root)", load: driver("node") },
  { name: "all", summary: "controller and node in one process", load: driver("all") },
  {
    name: "cloud",
    summary: "serve the reference block-storage cloud",
    load: async () => (await import("./cloud-command.js")).cloudCommand(),
  },
  {
    name: "dev",
    summary: "reference cloud and an `all` driver, for development",
    load: async () => (await import("./dev-command.js")).devCommand(),
  },
  {
    name: "demo",
    summary: "walk one volume through its life over CSI (as root)",
    load: async () => (await import("./demo-command.js")).demoCommand(),
  },
];
