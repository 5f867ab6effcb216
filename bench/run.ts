/**
 * `npm run bench`: runs the benchmark scenarios against real driver and reference-cloud
 * processes, writes the JSON result to bench/results/ and prints the tables. See
 * docs/benchmarks.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBenchArgs, USAGE, UsageError } from "./options.js";
import { reportCharts } from "./report-charts.js";
import { formatReport } from "./report-table.js";
import { failedScenarios, runBench } from "./run-bench.js";

const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));

async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(argv, join(repoRoot, "bench/results"));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const report = await runBench(options, {
    repoRoot,
    progress: (line) => process.stderr.write(`> ${line}\n`),
  });
  await mkdir(options.outDir, { recursive: true });
  const file = join(options.outDir, `bench-${report.startedAt.replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const charts = reportCharts(report);
  const chartDir = file.replace(/\.json$/, "");
  if (charts.length > 0) await mkdir(chartDir, { recursive: true });
  for (const chart of charts) await writeFile(join(chartDir, chart.name), chart.svg);
  process.stdout.write(
    `${formatReport(report)}\nresult: ${file}${charts.length > 0 ? `\ncharts: ${chartDir}/` : ""}\n`,
  );
  const failed = failedScenarios(report);
  if (failed.length > 0) {
    process.stderr.write(`bench: ${failed.join(", ")} failed; logs are in ${report.workDir}\n`);
    return 1;
  }
  if (options.keep) process.stderr.write(`bench: work directory kept at ${report.workDir}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
