import { Command, InvalidArgumentError, Option } from "commander";
import { preflightProblem } from "../demo/preflight.js";
import { runDemo } from "../demo/run-demo.js";
import { EXIT_CONFIG, startupFailureLine } from "./exit.js";

const TIERS_HELP = "a volume type (tier) of the cloud, e.g. standard, balanced, performance";

function positiveInteger(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`${flag}: "${value}" is not a positive whole number`);
    }
    return parsed;
  };
}

function fsType(value: string): "xfs" | "ext4" {
  if (value === "xfs" || value === "ext4") return value;
  throw new InvalidArgumentError(`--fs-type: "${value}" is not one of xfs, ext4`);
}

interface DemoFlags {
  endpoint?: string;
  tier: string;
  modifyTo: string;
  zone?: string;
  fsType: "xfs" | "ext4";
  sizeGib: number;
  expandToGib: number;
  rpcTimeout: number;
  groupSnapshot: boolean;
  cloudProvider?: string;
}

/**
 * `ballast demo`: one volume's whole life over CSI against a running driver (`--endpoint`) or a
 * `ballast dev` it starts itself; one progress line per step and a summary; exit 1 when any step
 * fails, 2 when the machine cannot run it.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "Walk one volume through its life over CSI, against --endpoint or a `ballast dev` it starts. Needs root and loop devices.",
    )
    .addOption(
      new Option(
        "--endpoint <endpoint>",
        "CSI endpoint of a running driver (default: start `ballast dev`)",
      ).env("BALLAST_ENDPOINT"),
    )
    .addOption(new Option("--tier <type>", `tier to create in: ${TIERS_HELP}`).default("standard"))
    .addOption(
      new Option("--modify-to <type>", "tier ControllerModifyVolume moves the volume to").default("balanced"),
    )
    .addOption(new Option("--zone <zone>", "zone to create in (default: the node's zone)"))
    .addOption(
      new Option("--fs-type <type>", "xfs (grows online here) or ext4 (online growth needs CAP_SYS_RESOURCE)")
        .default("xfs")
        .argParser(fsType),
    )
    .addOption(
      new Option("--size-gib <n>", "size to create").default(1).argParser(positiveInteger("--size-gib")),
    )
    .addOption(
      new Option("--expand-to-gib <n>", "size to grow to, online")
        .default(2)
        .argParser(positiveInteger("--expand-to-gib")),
    )
    .addOption(
      new Option(
        "--cloud-provider <name>",
        "the API of the `ballast dev` the demo starts: ballast, digitalocean or hetzner (not with --endpoint)",
      ).conflicts("endpoint"),
    )
    .addOption(
      new Option(
        "--group-snapshot",
        "also snapshot two volumes together (GroupController), restore both and compare checksums",
      ).default(false),
    )
    .addOption(
      new Option("--rpc-timeout <seconds>", "deadline of each CSI call")
        .default(120)
        .argParser(positiveInteger("--rpc-timeout")),
    )
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : EXIT_CONFIG);
    })
    .action(async (flags: DemoFlags) => {
      if (flags.expandToGib <= flags.sizeGib) {
        process.stderr.write(
          `ballast: --expand-to-gib ${flags.expandToGib} must be larger than --size-gib ${flags.sizeGib}\n`,
        );
        process.exit(EXIT_CONFIG);
      }
      const problem = await preflightProblem();
      if (problem !== undefined) {
        process.stderr.write(`ballast: ${problem}\n`);
        process.exit(EXIT_CONFIG);
      }
      let passed: boolean;
      try {
        passed = await runDemo({
          endpoint: flags.endpoint,
          tier: flags.tier,
          modifyTo: flags.modifyTo,
          zone: flags.zone,
          fsType: flags.fsType,
          sizeGiB: flags.sizeGib,
          expandToGiB: flags.expandToGib,
          rpcTimeoutMs: flags.rpcTimeout * 1000,
          groupSnapshot: flags.groupSnapshot,
          cloudProvider: flags.cloudProvider,
          write: (line) => process.stdout.write(`${line}\n`),
        });
      } catch (error) {
        process.stderr.write(`${startupFailureLine(error)}\n`);
        process.exit(EXIT_CONFIG);
      }
      process.exit(passed ? 0 : 1);
    });
}
