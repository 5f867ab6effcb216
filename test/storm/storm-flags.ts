import { parseArgs } from "node:util";
import { PROVIDER_NAMES, type ProviderName } from "../../src/providers/provider.js";

/** The figures `npm run storm` takes, before root and loop devices are checked. */
export interface StormFlags {
  provider: ProviderName;
  workers: number;
  volumes: number;
  kills: number;
  errorRate: number;
  /** Undefined when not given: the default depends on whether root and loop devices are there. */
  dataChecks: number | undefined;
  snapshotEvery: number;
  seed: number;
}

export type ParsedStormFlags = { help: true } | { help: false; flags: StormFlags } | { error: string };

const FLAGS = [
  [
    "cloud-provider",
    "<name>",
    "ballast",
    `the API the reference cloud serves and the driver drives: ${PROVIDER_NAMES.join(", ")}`,
  ],
  ["workers", "<n>", "50", "concurrent workers, each running one cycle at a time"],
  ["volumes", "<n>", "500", "plain cycles (create, publish, unpublish, delete)"],
  ["kills", "<n>", "3", "times the controller is SIGKILLed and restarted"],
  ["error-rate", "<share>", "0.2", "share of cloud API requests that get a fault (0 to 1)"],
  [
    "data-checks",
    "<n>",
    "5 as root, else 0",
    "data cycles on loop devices (write, snapshot or detach, restore or re-attach, compare)",
  ],
  ["snapshot-every", "<n>", "2", "every n-th plain cycle also snapshots and restores"],
  ["seed", "<n>", "1", "seed of the cloud's fault generator, to repeat a run"],
] as const;

type FlagName = (typeof FLAGS)[number][0];

const HINT = "(npm run storm -- --help lists the flags)";

export const STORM_USAGE = [
  "Usage: npm run storm -- [flags]",
  "",
  "The full-size fault storm against the reference cloud, serving ballast's API or another cloud's.",
  "Prints the figures and exits 1 unless there are 0 duplicates, leaks and lost data; exits 2 on a",
  "bad flag. Hetzner has no snapshots: there the cycles skip snapshot and restore, and data checks",
  "detach and re-attach the volume instead.",
  "",
  ...FLAGS.map(
    ([name, value, fallback, meaning]) =>
      `  ${`--${name} ${value}`.padEnd(26)}${meaning} (default: ${fallback})`,
  ),
  `  ${"--help".padEnd(26)}print this and exit`,
  "",
].join("\n");

function numberOf(name: FlagName, raw: string): number | string {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0) {
    return `--${name}: "${raw}" is not a non-negative number`;
  }
  return value;
}

/**
 * Reads the flags leniently and judges every token itself, so a typo, a missing value or a stray
 * argument becomes one line for the user rather than parseArgs's stack trace.
 */
export function parseStormFlags(args: string[]): ParsedStormFlags {
  const options = Object.fromEntries([
    ...FLAGS.map(([name]) => [name, { type: "string" as const }]),
    ["help", { type: "boolean" as const }],
  ]);
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const raw = new Map<FlagName, string>();
  for (const token of tokens) {
    if (token.kind === "positional") return { error: `unexpected argument "${token.value}" ${HINT}` };
    if (token.kind === "option-terminator") continue;
    if (token.name === "help") {
      if (token.value !== undefined) return { error: `--help takes no value ${HINT}` };
      return { help: true };
    }
    const flag = FLAGS.find(([name]) => name === token.name);
    if (flag === undefined) return { error: `unknown flag ${token.rawName} ${HINT}` };
    if (token.value === undefined) return { error: `${token.rawName} needs a value ${HINT}` };
    raw.set(flag[0], token.value);
  }
  const providerFlag = raw.get("cloud-provider") ?? "ballast";
  const provider = PROVIDER_NAMES.find((name) => name === providerFlag);
  if (provider === undefined) {
    return { error: `--cloud-provider: "${providerFlag}" is not one of ${PROVIDER_NAMES.join(", ")}` };
  }
  raw.delete("cloud-provider");
  const numbers = new Map<FlagName, number>();
  for (const [name, value] of raw) {
    const parsed = numberOf(name, value);
    if (typeof parsed === "string") return { error: parsed };
    numbers.set(name, parsed);
  }
  const errorRate = numbers.get("error-rate") ?? 0.2;
  if (errorRate > 1) return { error: `--error-rate: ${errorRate} is more than 1 (it is a share, e.g. 0.2)` };
  const dataChecks = numbers.get("data-checks");
  return {
    help: false,
    flags: {
      provider,
      workers: Math.max(1, Math.floor(numbers.get("workers") ?? 50)),
      volumes: Math.floor(numbers.get("volumes") ?? 500),
      kills: Math.floor(numbers.get("kills") ?? 3),
      errorRate,
      dataChecks: dataChecks === undefined ? undefined : Math.floor(dataChecks),
      snapshotEvery: Math.max(1, Math.floor(numbers.get("snapshot-every") ?? 2)),
      seed: Math.floor(numbers.get("seed") ?? 1),
    },
  };
}
