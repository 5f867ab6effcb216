// What importing modules costs in memory: imports every specifier given (packages, or dist files
// relative to bench/), lets start-up settle, collects garbage, and prints the process's RSS and
// heap as one JSON line. Each run is a fresh process, so runs compare:
//   node --expose-gc bench/import-cost.mjs                      # bare node
//   node --expose-gc bench/import-cost.mjs @grpc/grpc-js        # + grpc-js
//   node --expose-gc bench/import-cost.mjs ../dist/cli/driver-node.js
// Figures are in MiB; docs/benchmarks.md ("Where the node plugin's memory goes") has a table.
import { readFileSync } from "node:fs";

const statusMiB = (field) =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync("/proc/self/status", "utf8"))[1]) /
  1024;
const round = (value) => Math.round(value * 10) / 10;

const specifiers = process.argv.slice(2);
for (const specifier of specifiers) await import(specifier);
await new Promise((resolve) => setTimeout(resolve, 1000));
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 200));
const memory = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    imports: specifiers.length === 0 ? "(none)" : specifiers.join(" + "),
    rssMiB: round(statusMiB("VmRSS")),
    rssAnonMiB: round(statusMiB("RssAnon")),
    heapUsedMiB: round(memory.heapUsed / 2 ** 20),
    heapTotalMiB: round(memory.heapTotal / 2 ** 20),
  })}\n`,
);
