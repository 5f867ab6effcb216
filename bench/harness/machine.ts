import { cpus, freemem, loadavg, release, totalmem } from "node:os";

export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  memoryTotalBytes: number;
  memoryFreeBytes: number;
  /** 1, 5 and 15 minute load averages when the run started: a busy machine skews absolute times. */
  loadAverage: number[];
  kernel: string;
  node: string;
}

export function describeMachine(): MachineDescription {
  const processors = cpus();
  return {
    cpus: processors.length,
    cpuModel: processors[0]?.model ?? "unknown",
    memoryTotalBytes: totalmem(),
    memoryFreeBytes: freemem(),
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    kernel: release(),
    node: process.version,
  };
}
