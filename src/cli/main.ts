import { Command, CommanderError } from "commander";
import { cloudCommand } from "./cloud-command.js";
import { demoCommand } from "./demo-command.js";
import { devCommand } from "./dev-command.js";
import { driverCommand } from "./driver-command.js";
import { EXIT_CONFIG } from "./exit.js";
import { vendorVersion } from "./vendor-version.js";

/** Builds the `ballast` program: one binary, one sub-command per mode. */
export function buildProgram(): Command {
  const program = new Command("ballast")
    .description("Ballast CSI driver for cloud block volumes")
    .version(vendorVersion())
    .showHelpAfterError(false)
    .exitOverride();
  program.addCommand(driverCommand("controller"));
  program.addCommand(driverCommand("node"));
  program.addCommand(driverCommand("all"));
  program.addCommand(cloudCommand());
  program.addCommand(devCommand());
  program.addCommand(demoCommand());
  return program;
}

/**
 * Commander's own errors (unknown flag, missing value) are one line already; they exit 2 like
 * every other configuration error. Help and version exit 0.
 */
async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exit(error.exitCode === 0 ? 0 : EXIT_CONFIG);
    }
    throw error;
  }
}

await main(process.argv);
