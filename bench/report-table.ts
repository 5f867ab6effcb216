import {
  latencyVerdicts,
  memoryVerdict,
  nodePathVerdict,
  stormVerdict,
  type TargetVerdict,
  verdictLine,
} from "./issue-targets.js";
import { errors, latency, mib, ms, type Row, section, table, times } from "./report-format.js";
import { economyTable, faceSections, stormTable } from "./report-provisioning.js";
import type { BenchReport } from "./run-bench.js";
import type { NodeFloorResult } from "./scenarios/node-floor.js";

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
  const verdicts = floor.targets.map(verdictLine);
  return [
    `NodeGetCapabilities x${floor.concurrency}, ${floor.rounds} rounds of ${floor.roundMs / 1000} s per server, order rotating; RSS at start-up (${floor.startupMs / 1000} s), idle (${floor.idleMs / 1000} s after start) and after the load`,
    "",
    table(["figure", ...floor.sides.map((side) => side.label)], rows),
    "",
    ...verdicts,
  ].join("\n");
}

/** A table followed by the verdicts on its figures. */
function withVerdicts(body: string, verdicts: TargetVerdict[]): string {
  return [body, "", ...verdicts.map(verdictLine)].join("\n");
}

/** The report as the tables `npm run bench` prints (Markdown, pasted into docs/benchmarks.md). */
export function formatReport(report: BenchReport): string {
  const { scenarios, options } = report;
  const parts = [
    section("1. Provisioning storm", scenarios.storm, (storm) =>
      withVerdicts(stormTable(storm, "direct client"), [stormVerdict(storm, options)]),
    ),
    section("2. API economy (calls per volume)", scenarios.economy, economyTable),
    section("3. Added latency (sequential)", scenarios.latency, (result) =>
      withVerdicts(
        table(
          [
            "RPC",
            "direct",
            "driver",
            "added by the driver (per pair)",
            "driver p99 − direct p99",
            "direct − the same direct call (per pair)",
            "a bare grpc-js call in its place",
          ],
          result.rpcs.map((rpc) => [
            rpc.rpc,
            latency(rpc.direct),
            latency(rpc.driver),
            latency(rpc.added),
            `${rpc.p99GapMs.toFixed(1)} ms`,
            latency(rpc.control),
            latency(rpc.floor),
          ]),
        ),
        latencyVerdicts(result),
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
      withVerdicts(
        table(
          ["figure", "idle", "peak during the storm"],
          [
            ["RSS", mib(memory.idle.rssBytes), `${mib(memory.peak.rssHighWaterBytes)} (high-water mark)`],
            ["heap used", mib(memory.idle.heapUsedBytes), mib(memory.peak.heapUsedBytes)],
            ["heap total", mib(memory.idle.heapTotalBytes), mib(memory.peak.heapTotalBytes)],
          ],
        ),
        [memoryVerdict(memory.peak, options.volumes)],
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
        "",
        verdictLine(nodePathVerdict(node)),
        node.leftoverMounts.length === 0
          ? ""
          : `\nleft-over mounts removed: ${node.leftoverMounts.join(", ")}`,
      ].join("\n"),
    ),
    section("7. ballast node against the bare grpc-js floor", scenarios.floor, floorSection),
    ...faceSections(report),
  ];
  const machine = report.machine;
  const head = `Ballast benchmarks ${report.startedAt} on ${machine.cpus} x ${machine.cpuModel}, ${mib(machine.memoryTotalBytes)}, node ${machine.node}, load ${machine.loadAverage.join(" ")}, ${(report.durationMs / 1000).toFixed(0)} s in all`;
  const driver =
    report.options.driverCheckout === undefined
      ? []
      : [`driver (scenarios 1-6): bin/ballast of ${report.options.driverCheckout}`];
  return [head, ...driver, "", ...parts.filter((part) => part !== "")].join("\n");
}
