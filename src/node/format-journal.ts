import { join } from "node:path";
import type { HostFs } from "./host-fs.js";

/** What the journal remembers of a format that was started. */
export interface FormatRecord {
  volumeId: string;
  device: string;
  fsType: string;
  /** The UUID mkfs was told to give the filesystem. */
  uuid: string;
  startedAt: string;
}

/**
 * The driver's own record of the formats it started, kept in the node's state directory (a host
 * directory that outlives the plugin's container). A record is written, and flushed, after the
 * device was proven blank and before mkfs runs, and removed, and that flushed too, once mkfs has
 * finished: a removal lost to a power loss would bring the record back, and the next stage would
 * format the finished filesystem again, with whatever was written to it since. A record that
 * is still there at the next NodeStage means the plugin died while mkfs ran (a restart, an OOM
 * kill, the mkfs timeout) or just after: the device is the driver's own work and is formatted
 * again, where foreign data would be refused, unless it holds a filesystem that is not that
 * format's unused work (see staleRecord in volume-format.ts).
 */
export class FormatJournal {
  constructor(
    private readonly host: HostFs,
    private readonly directory: string,
  ) {}

  private fileOf(volumeId: string): string {
    return join(this.directory, `${volumeId}.format.json`);
  }

  async find(volumeId: string): Promise<FormatRecord | undefined> {
    const text = await this.host.readText(this.fileOf(volumeId));
    if (text === undefined) return undefined;
    const record = JSON.parse(text) as FormatRecord;
    return record.volumeId === volumeId ? record : undefined;
  }

  async begin(record: FormatRecord): Promise<void> {
    await this.host.mkdirp(this.directory);
    await this.host.writeDurably(this.fileOf(record.volumeId), `${JSON.stringify(record)}\n`);
  }

  async end(volumeId: string): Promise<void> {
    await this.host.removeDurably(this.fileOf(volumeId));
  }
}
