import { readFile } from "node:fs/promises";

export interface MemoryReading {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
}

export interface MemoryPeaks extends MemoryReading {
  /** The kernel's high-water mark of the resident set (VmHWM) since the process started. */
  rssHighWaterBytes: number;
  samples: number;
  /** Every sample: ms since the sampler started, RSS and heap used in bytes. */
  series: [number, number, number][];
}

async function procStatusKb(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (match === null) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * 1024;
}

export interface ProcessRss {
  rssBytes: number;
  /**
   * The anonymous part of it (heap, stacks, buffers). The rest is mostly the node binary's pages,
   * shared with every node process and reclaimable, as the kernel maps files.
   */
  rssAnonBytes: number;
  /** The kernel's high-water mark of the resident set since the process started. */
  rssHighWaterBytes: number;
}

/** The kernel's view of a process's resident set now. */
export async function processRss(pid: number): Promise<ProcessRss> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    if (match === null) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kb("VmRSS"), rssAnonBytes: kb("RssAnon"), rssHighWaterBytes: kb("VmHWM") };
}

/** A sample value of the driver's /metrics (prom-client default metrics, unprefixed). */
function metricValue(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (match === null) throw new Error(`/metrics has no ${name}`);
  return Number(match[1]);
}

/** RSS from the kernel; heap from the driver's own /metrics, as Prometheus would see it. */
export async function readMemory(pid: number, metricsUrl: string): Promise<MemoryReading> {
  const response = await fetch(`${metricsUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${metricsUrl}/metrics answered ${response.status}`);
  const text = await response.text();
  return {
    rssBytes: await procStatusKb(pid, "VmRSS"),
    heapUsedBytes: metricValue(text, "nodejs_heap_size_used_bytes"),
    heapTotalBytes: metricValue(text, "nodejs_heap_size_total_bytes"),
  };
}

/** Samples memory every `intervalMs` while a workload runs and keeps the maxima. */
export class MemorySampler {
  private readonly peaks: MemoryReading = { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0 };
  private samples = 0;
  private readonly series: [number, number, number][] = [];
  private readonly startedAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    private readonly pid: number,
    private readonly metricsUrl: string,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => {
      this.pending = this.sample();
    }, intervalMs);
  }

  private async sample(): Promise<void> {
    try {
      const reading = await readMemory(this.pid, this.metricsUrl);
      this.samples += 1;
      this.series.push([Date.now() - this.startedAt, reading.rssBytes, reading.heapUsedBytes]);
      this.peaks.rssBytes = Math.max(this.peaks.rssBytes, reading.rssBytes);
      this.peaks.heapUsedBytes = Math.max(this.peaks.heapUsedBytes, reading.heapUsedBytes);
      this.peaks.heapTotalBytes = Math.max(this.peaks.heapTotalBytes, reading.heapTotalBytes);
    } catch (error) {
      this.failure = error as Error;
    }
  }

  async stop(): Promise<MemoryPeaks> {
    clearInterval(this.timer);
    await this.pending;
    await this.sample();
    if (this.failure !== undefined) throw this.failure;
    return {
      ...this.peaks,
      // The kernel updates VmHWM lazily: a reading taken between its updates can be higher.
      rssHighWaterBytes: Math.max(await procStatusKb(this.pid, "VmHWM"), this.peaks.rssBytes),
      samples: this.samples,
      series: this.series,
    };
  }
}
