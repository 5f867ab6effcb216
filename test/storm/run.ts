import { parseArgs } from "node:util";
import { rootUnavailableReason } from "../helpers/root.js";
import { formatReport, runStorm } from "./storm.js";

/**
 * `npm run storm`: the full-size fault storm. Flags: --workers (50), --volumes (500), --kills (3),
 * --error-rate (0.2), --data-checks (5; 0 without root), --snapshot-every (2), --seed (1).
 * Prints the figures and exits 1 unless there are 0 duplicates, leaks and lost data.
 */
function numberFlag(
  flags: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number,
): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== "string" || !Number.isFinite(value) || value < 0) {
    process.stderr.write(`storm: --${name}: "${String(raw)}" is not a non-negative number\n`);
    process.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  options: {
    workers: { type: "string" },
    volumes: { type: "string" },
    kills: { type: "string" },
    "error-rate": { type: "string" },
    "data-checks": { type: "string" },
    "snapshot-every": { type: "string" },
    seed: { type: "string" },
  },
  strict: true,
});

const noRoot = rootUnavailableReason();
const errorRate = numberFlag(values, "error-rate", 0.2);
if (errorRate > 1) {
  process.stderr.write(`storm: --error-rate: ${errorRate} is more than 1 (it is a share, e.g. 0.2)\n`);
  process.exit(2);
}
const dataChecks = numberFlag(values, "data-checks", noRoot === undefined ? 5 : 0);
if (dataChecks > 0 && noRoot !== undefined) {
  process.stderr.write(
    `storm: --data-checks needs root and loop devices (${noRoot}); run as root or pass --data-checks 0\n`,
  );
  process.exit(2);
}

const report = await runStorm({
  workers: Math.max(1, Math.floor(numberFlag(values, "workers", 50))),
  volumes: Math.floor(numberFlag(values, "volumes", 500)),
  kills: Math.floor(numberFlag(values, "kills", 3)),
  errorRate,
  dataChecks: Math.floor(dataChecks),
  snapshotEvery: Math.max(1, Math.floor(numberFlag(values, "snapshot-every", 2))),
  seed: Math.floor(numberFlag(values, "seed", 1)),
  log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
});
for (const line of formatReport(report)) process.stdout.write(`${line}\n`);
process.exit(report.passed ? 0 : 1);
