import type { LatencySummary } from "./harness/stats.js";
import type { BenchReport, ScenarioOutcome } from "./run-bench.js";
import type { NodeFloorResult } from "./scenarios/node-floor.js";

type Row = string[];

const MiB = 1024 * 1024;

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

function latency(summary: LatencySummary): string {
  return `p50 ${ms(summary.p50Ms)} / p99 ${ms(summary.p99Ms)}`;
}

function times(value: number | null): string {
  return value === null ? "n/a" : `${value.toFixed(2)}x`;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function errors(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "0" : entries.map(([label, count]) => `${label} ${count}`).join(", ");
}

/** Pads columns to a plain-text table that also reads as Markdown. */
function table(header: Row, rows: Row[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (row: Row) => `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}

function section<T>(
  title: string,
  outcome: ScenarioOutcome<T> | undefined,
  body: (figures: T) => string,
): string {
  if (outcome === undefined) return "";
  if (outcome.status === "skipped") return `## ${title}\n\nskipped: ${outcome.reason}\n`;
  if (outcome.status === "failed") return `## ${title}\n\nFAILED: ${outcome.error.split("\n")[0]}\n`;
  return `## ${title} (${(outcome.durationMs / 1000).toFixed(1)} s)\n\n${body(outcome.figures)}\n`;
}

function floorSection(floor: NodeFloorResult): string {
  const [bare] = floor.sides;
  const versus = (value: number | null | undefined, base: number | null | undefined) =>
    value == null || base == null || bare === undefined
      ? ""
      : ` (${times(base === 0 ? null : value / base)})`;
  const rows: Row[] = [
    [
      "calls/s",
      ...floor.sides.map(
        (side) => `${side.callsPerSecond}${versus(side.callsPerSecond, bare?.callsPerSecond)}`,
      ),
    ],
    ["calls/s by round", ...floor.sides.map((side) => side.roundCallsPerSecond.join(", "))],
    ["latency", ...floor.sides.map((side) => latency(side.latency))],
    [
      "p99",
      ...floor.sides.map(
        (side) => `${ms(side.latency.p99Ms)}${versus(side.latency.p99Ms, bare?.latency.p99Ms)}`,
      ),
    ],
    [
      "server CPU per call",
      ...floor.sides.map((side) =>
        side.cpuMicrosPerCall === null
          ? "n/a"
          : `${side.cpuMicrosPerCall} µs${versus(side.cpuMicrosPerCall, bare?.cpuMicrosPerCall)}`,
      ),
    ],
    ...(
      [
        ["start-up", "startup"],
        ["idle", "idle"],
        ["after load", "afterLoad"],
      ] as const
    ).map(
      ([name, key]): Row => [
        `RSS ${name} (anonymous)`,
        ...floor.sides.map(
          (side) => `${mib(side.memory[key].rssBytes)} (${mib(side.memory[key].rssAnonBytes)})`,
        ),
      ],
    ),
    ["RSS high-water mark", ...floor.sides.map((side) => mib(side.memory.highWaterRssBytes))],
    ["errors", ...floor.sides.map((side) => errors(side.errors))],
  ];
  const verdicts = floor.targets.map(
    (target) =>
      `- ${target.figure}: ${target.value ?? "n/a"} (target ${target.target}): ${target.met ? "met" : "NOT met"}`,
  );
  return [
    `NodeGetCapabilities x${floor.concurrency}, ${floor.rounds} rounds of ${floor.roundMs / 1000} s per server, order rotating; RSS at start-up (${floor.startupMs / 1000} s), idle (${floor.idleMs / 1000} s after start) and after the load`,
    "",
    table(["figure", ...floor.sides.map((side) => side.label)], rows),
    "",
    ...verdicts,
  ].join("\n");
}

/** The report as the tables `npm run bench` prints (Markdown, pasted into docs/benchmarks.md). */
export function formatReport(report: BenchReport): string {
  const { scenarios } = report;
  const parts = [
    section("1. Provisioning storm", scenarios.storm, (storm) =>
      table(
        ["figure", "direct client", "driver", "driver / direct"],
        [
          ["wall time", ms(storm.direct.wallMs), ms(storm.driver.wallMs), times(storm.wallRatio)],
          ["CreateVolume", latency(storm.direct.createVolume), latency(storm.driver.createVolume), ""],
          [
            "ControllerPublishVolume",
            latency(storm.direct.publishVolume),
            latency(storm.driver.publishVolume),
            "",
          ],
          [
            "API calls",
            String(storm.direct.apiCallsTotal),
            String(storm.driver.apiCallsTotal),
            times(
              storm.direct.apiCallsTotal === 0
                ? null
                : storm.driver.apiCallsTotal / storm.direct.apiCallsTotal,
            ),
          ],
          [
            "CPU seconds: cloud / driver",
            `${storm.direct.cpuSeconds.cloud} / -`,
            `${storm.driver.cpuSeconds.cloud} / ${storm.driver.cpuSeconds.driver ?? "-"}`,
            "",
          ],
          ["errors", errors(storm.direct.errors), errors(storm.driver.errors), ""],
          ["duplicates", String(storm.direct.audit.duplicates), String(storm.driver.audit.duplicates), ""],
          [
            "volumes / attached once",
            `${storm.direct.audit.volumes} / ${storm.direct.audit.attachedOnce}`,
            `${storm.driver.audit.volumes} / ${storm.driver.audit.attachedOnce}`,
            "",
          ],
        ],
      ),
    ),
    section("2. API economy (calls per volume)", scenarios.economy, (economy) =>
      [
        table(
          ["waiting strategy", "per create", "per attach", "catalog reads", "errors"],
          economy.strategies.map((s) => [
            s.strategy,
            String(s.create.callsPerVolume),
            String(s.attach.callsPerVolume),
            String(s.catalogReads),
            errors({ ...s.create.errors, ...s.attach.errors }),
          ]),
        ),
        "",
        `create target <= ${economy.createTarget.callsPerVolume} calls per volume through the driver: ${
          economy.createTarget.met ? "met" : `NOT met (${economy.createTarget.driverCallsPerVolume})`
        }`,
      ].join("\n"),
    ),
    section("3. Added latency (sequential)", scenarios.latency, (result) =>
      table(
        ["RPC", "direct", "driver", "added by the driver"],
        result.rpcs.map((rpc) => [rpc.rpc, latency(rpc.direct), latency(rpc.driver), latency(rpc.added)]),
      ),
    ),
    section("4. Raw gRPC", scenarios.grpc, (result) =>
      table(
        ["RPC", "calls/s", "latency", "errors"],
        result.rpcs.map((rpc) => [
          `${rpc.rpc} x${result.concurrency}`,
          String(rpc.callsPerSecond),
          latency(rpc.latency),
          errors(rpc.errors),
        ]),
      ),
    ),
    section("5. Memory (driver process)", scenarios.memory, (memory) =>
      table(
        ["figure", "idle", "peak during the storm"],
        [
          ["RSS", mib(memory.idle.rssBytes), `${mib(memory.peak.rssHighWaterBytes)} (high-water mark)`],
          ["heap used", mib(memory.idle.heapUsedBytes), mib(memory.peak.heapUsedBytes)],
          ["heap total", mib(memory.idle.heapTotalBytes), mib(memory.peak.heapTotalBytes)],
        ],
      ),
    ),
    section("6. Node path", scenarios.node, (node) =>
      [
        table(
          ["figure", "bare commands", "driver", "driver / bare (p50)"],
          [
            [
              `stage+publish+unpublish+unstage (${node.fsType})`,
              latency(node.bare),
              latency(node.driver),
              times(node.ratio),
            ],
            ...Object.entries(node.rpcs).map(([rpc, summary]) => [rpc, "", latency(summary), ""]),
          ],
        ),
        node.leftoverMounts.length === 0
          ? ""
          : `\nleft-over mounts removed: ${node.leftoverMounts.join(", ")}`,
      ].join("\n"),
    ),
    section("7. ballast node against the bare grpc-js floor", scenarios.floor, floorSection),
  ];
  const machine = report.machine;
  const head = `Ballast benchmarks ${report.startedAt} on ${machine.cpus} x ${machine.cpuModel}, ${mib(machine.memoryTotalBytes)}, node ${machine.node}, load ${machine.loadAverage.join(" ")}, ${(report.durationMs / 1000).toFixed(0)} s in all`;
  return [head, "", ...parts.filter((part) => part !== "")].join("\n");
}
