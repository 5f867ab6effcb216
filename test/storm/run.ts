import { rootUnavailableReason } from "../helpers/root.js";
import { formatReport, runStorm } from "./storm.js";
import { parseStormFlags, STORM_USAGE } from "./storm-flags.js";

/**
 * `npm run storm`: the full-size fault storm (`npm run storm -- --help` lists the flags).
 * Prints the figures and exits 1 unless there are 0 duplicates, leaks and lost data; a bad flag
 * prints one line and exits 2.
 */
const parsed = parseStormFlags(process.argv.slice(2));
if ("error" in parsed) {
  process.stderr.write(`storm: ${parsed.error}\n`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(STORM_USAGE);
  process.exit(0);
}
const { flags } = parsed;

const noRoot = rootUnavailableReason();
const dataChecks = flags.dataChecks ?? (noRoot === undefined ? 5 : 0);
if (dataChecks > 0 && noRoot !== undefined) {
  process.stderr.write(
    `storm: --data-checks needs root and loop devices (${noRoot}); run as root or pass --data-checks 0\n`,
  );
  process.exit(2);
}

const report = await runStorm({
  ...flags,
  dataChecks,
  log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
});
for (const line of formatReport(report)) process.stdout.write(`${line}\n`);
process.exit(report.passed ? 0 : 1);
