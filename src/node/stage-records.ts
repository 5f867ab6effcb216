import { join } from "node:path";
import type { DeviceHint } from "./device-discovery.js";
import type { HostFs } from "./host-fs.js";

interface StageRecord {
  volumeId: string;
  serial: string;
  byIdPath?: string;
}

/**
 * The publish context each volume was staged with, kept in the node's state directory so it
 * outlives a restart. NodeExpandVolume, NodeGetVolumeStats and NodeUnstageVolume get no publish
 * context, yet a provider may name a volume's link and disk after something only that context
 * carries (DigitalOcean: the volume's name). The record is the context NodeStageVolume checked,
 * written before the volume is used and removed at NodeUnstageVolume; a record left by a stage
 * that failed still tells the truth (a volume's name never changes), and the next stage rewrites it.
 */
export class StageRecords {
  constructor(
    private readonly host: HostFs,
    private readonly directory: string,
  ) {}

  private fileOf(volumeId: string): string {
    return join(this.directory, `${volumeId}.stage.json`);
  }

  /** The recorded context; undefined when there is none or it is not this volume's. */
  async find(volumeId: string): Promise<DeviceHint | undefined> {
    const text = await this.host.readText(this.fileOf(volumeId));
    if (text === undefined) return undefined;
    let record: Partial<StageRecord>;
    try {
      record = JSON.parse(text) as Partial<StageRecord>;
    } catch {
      return undefined;
    }
    if (record.volumeId !== volumeId || typeof record.serial !== "string") return undefined;
    return typeof record.byIdPath === "string"
      ? { serial: record.serial, byIdPath: record.byIdPath }
      : { serial: record.serial };
  }

  /** Writes the record, unless the one on disk already says the same (a repeated stage). */
  async remember(volumeId: string, hint: DeviceHint): Promise<void> {
    const known = await this.find(volumeId);
    if (known !== undefined && known.serial === hint.serial && known.byIdPath === hint.byIdPath) return;
    const record: StageRecord = { volumeId, ...hint };
    await this.host.mkdirp(this.directory);
    await this.host.writeDurably(this.fileOf(volumeId), `${JSON.stringify(record)}\n`);
  }

  async forget(volumeId: string): Promise<void> {
    if ((await this.host.lstat(this.fileOf(volumeId))) !== undefined)
      await this.host.unlink(this.fileOf(volumeId));
  }
}
