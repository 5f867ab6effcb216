import { Command, CommanderError } from "commander";
import { EXIT_CONFIG } from "./exit.js";
import { SUBCOMMANDS } from "./subcommands.js";
import { vendorVersion } from "./vendor-version.js";

/**
 * Commander puts its "(Did you mean …?)" on a line of its own; the CLI promises one line per
 * configuration error (docs/driver.md), so the suggestion joins the error's line.
 */
const ONE_LINE_ERRORS = {
  outputError: (message: string, write: (line: string) => void) => write(message.replace(/\n(?=.)/g, " ")),
};

/**
 * Builds the `ballast` program: one binary, one sub-command per mode. Only the sub-command named
 * in `argv` (directly or as `help <name>`) is loaded; the others are listed by name and summary.
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command("ballast")
    .description("Ballast CSI driver for cloud block volumes")
    .version(vendorVersion())
    .showHelpAfterError(false)
    .configureOutput(ONE_LINE_ERRORS)
    .exitOverride();
  const named = argv[2] === "help" ? argv[3] : argv[2];
  for (const subcommand of SUBCOMMANDS) {
    const command =
      subcommand.name === named ? await subcommand.load() : new Command(subcommand.name).allowUnknownOption();
    program.addCommand(command.summary(subcommand.summary).configureOutput(ONE_LINE_ERRORS));
  }
  return program;
}

/**
 * Commander's own errors (unknown flag, missing value) are one line (ONE_LINE_ERRORS); they exit 2
 * like every other configuration error. Help and version exit 0.
 */
async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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
