/** The tables of the storm and the API economy, on the ballast API and on the other faces. */
import type { StateWrites } from "./harness/bench-cloud.js";
import { totalErrors } from "./harness/stats.js";
import { errors, latency, ms, type Row, section, table, times } from "./report-format.js";
import type { BenchReport, FaceName, FaceRuns } from "./run-bench.js";
import type { EconomyResult, StrategyEconomy } from "./scenarios/api-economy.js";
import type { StormResult } from "./scenarios/provisioning-storm.js";

type StormFigures = Omit<StormResult, "memory">;

function stateWrites(writes: StateWrites): string {
  return writes.count === 0 ? "0" : `${writes.count} / ${(writes.durationMs / writes.count).toFixed(1)} ms`;
}

/** With `--storm-rounds`: every round's ratio and wall times, and the median ratio. */
function roundsLine(storm: StormFigures): string[] {
  if (storm.rounds === undefined) return [];
  const { each, medianWallRatio } = storm.rounds;
  return [
    "",
    `${each.length} rounds (the table is round 1): driver / direct ${each.map((round) => times(round.wallRatio)).join(", ")}, median ${times(medianWallRatio)}; driver ${each.map((round) => ms(round.driverWallMs)).join(", ")}; direct ${each.map((round) => ms(round.directWallMs)).join(", ")}`,
  ];
}

export function stormTable(storm: StormFigures, directLabel: string): string {
  const figures = table(
    ["figure", directLabel, `driver (${storm.csiClient} CSI client)`, "driver / direct"],
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
          storm.direct.apiCallsTotal === 0 ? null : storm.driver.apiCallsTotal / storm.direct.apiCallsTotal,
        ),
      ],
      [
        "CPU seconds: cloud / driver",
        `${storm.direct.cpuSeconds.cloud} / -`,
        `${storm.driver.cpuSeconds.cloud} / ${storm.driver.cpuSeconds.driver ?? "-"}`,
        "",
      ],
      [
        "cloud state writes: count / ms each",
        stateWrites(storm.direct.stateWrites),
        stateWrites(storm.driver.stateWrites),
        times(
          storm.direct.stateWrites.count === 0
            ? null
            : storm.driver.stateWrites.count / storm.direct.stateWrites.count,
        ),
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
  );
  return [figures, ...roundsLine(storm)].join("\n");
}

function targetLines(economy: EconomyResult): string[] {
  return economy.targets.map(
    (target) =>
      `${target.phase} target <= ${target.callsPerVolume} calls per volume through the driver: ${
        target.met ? "met" : `NOT met (${target.driverCallsPerVolume})`
      }`,
  );
}

export function economyTable(economy: EconomyResult): string {
  const targets = targetLines(economy);
  return [
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
    `before them, ${economy.warmUp.volumes} volumes created and attached directly, not counted (the cloud learns how long its work takes)`,
    ...(targets.length === 0 ? [] : ["", ...targets]),
  ].join("\n");
}

function okFigures<T>(outcome: { status: string; figures?: T } | undefined): T | undefined {
  return outcome?.status === "ok" ? outcome.figures : undefined;
}

function perVolume(strategy: StrategyEconomy | undefined, phase: "create" | "attach"): string {
  return String(strategy?.[phase].callsPerVolume ?? "-");
}

function verdict(economy: EconomyResult | undefined): string {
  if (economy === undefined) return "-";
  if (economy.targets.length === 0) return "reported (no target)";
  return economy.targets
    .map((target) => `${target.phase} <= ${target.callsPerVolume}: ${target.met ? "met" : "NOT met"}`)
    .join(", ");
}

/** One line per provider: the figures the issues name, side by side. */
function summaryRow(
  provider: string,
  volumes: number,
  storm: StormFigures | undefined,
  economy: EconomyResult | undefined,
): Row {
  const [driver, direct] = economy?.strategies ?? [];
  const stormCalls = (side: StormFigures["driver"]) => (side.apiCallsTotal / volumes).toFixed(2);
  return [
    provider,
    `${perVolume(driver, "create")} / ${perVolume(direct, "create")}`,
    `${perVolume(driver, "attach")} / ${perVolume(direct, "attach")}`,
    storm === undefined ? "-" : `${stormCalls(storm.driver)} / ${stormCalls(storm.direct)}`,
    storm === undefined ? "-" : times(storm.wallRatio),
    storm === undefined
      ? "-"
      : `${totalErrors(storm.driver.errors) + totalErrors(storm.direct.errors)} / ${storm.driver.audit.duplicates + storm.direct.audit.duplicates}`,
    verdict(economy),
  ];
}

/**
 * The storm and the economy on each face, and a summary across providers: ballast's from its own
 * sections, where the driver and the direct client are the strategies with server hints.
 */
export function faceSections(report: BenchReport): string[] {
  const faces = Object.entries(report.faces) as [FaceName, FaceRuns][];
  if (faces.length === 0) return [];
  const ballastEconomy = okFigures(report.scenarios.economy);
  const rows: Row[] = [];
  if (report.scenarios.storm !== undefined || ballastEconomy !== undefined) {
    rows.push(
      summaryRow(
        "ballast",
        report.options.volumes,
        okFigures(report.scenarios.storm),
        ballastEconomy && {
          ...ballastEconomy,
          strategies: [
            ballastEconomy.strategies.find((s) => s.strategy.startsWith("driver")),
            ballastEconomy.strategies.find((s) => s.strategy.startsWith("direct")),
          ].filter((s) => s !== undefined),
        },
      ),
    );
  }
  const sections: string[] = [];
  for (const [provider, runs] of faces) {
    rows.push(summaryRow(provider, report.options.volumes, okFigures(runs.storm), okFigures(runs.economy)));
    sections.push(
      section(`1. Provisioning storm on the ${provider} face`, runs.storm, (storm) =>
        [
          `${storm.instances} API-only instances; direct side: the ${provider} adapter`,
          "",
          stormTable(storm, "direct (adapter)"),
        ].join("\n"),
      ),
      section(`2. API economy on the ${provider} face (calls per volume)`, runs.economy, economyTable),
    );
  }
  const summary = [
    "## API calls per volume by provider",
    "",
    table(
      [
        "provider",
        "per create (driver / direct)",
        "per attach (driver / direct)",
        "storm calls per volume (driver / direct)",
        "storm wall driver / direct",
        "storm errors / duplicates",
        "targets",
      ],
      rows,
    ),
    "",
  ].join("\n");
  return [...sections, summary];
}
