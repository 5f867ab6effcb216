import { BallastError, failedPrecondition, internal } from "../shared/errors.js";
import { type Exec, ExecError } from "./exec.js";
import type { HostFs, ReadHandle } from "./host-fs.js";

/** What is on a device, as far as the driver may act on it. */
export type DeviceContents =
  | { kind: "blank" }
  | { kind: "filesystem"; fsType: string; uuid?: string }
  | { kind: "other"; description: string };

/** Looks at a device and says what it holds; only reads. */
export interface DeviceProbe {
  contents(device: string, sizeBytes: bigint): Promise<DeviceContents>;
}

const MiB = 1024n * 1024n;
/** Devices up to this size are read whole: a fresh volume reads as zeros in well under a second. */
const READ_WHOLE_UP_TO = 256n * MiB;
const WINDOW_BYTES = 64n * 1024n;
const SPREAD_WINDOWS = 1024n;
const CHUNK_BYTES = MiB;
/** Reads in flight at once during the blank check; each holds one chunk's buffer. */
const READS_IN_FLIGHT = 4;
/** What a blank chunk reads as; compared whole, which is far cheaper than looking byte by byte. */
const ZEROS = Buffer.alloc(Number(CHUNK_BYTES));

/** A byte range of a device that the blank check reads. */
export interface Window {
  offset: bigint;
  length: bigint;
}

/**
 * Where the blank check looks. Small devices are read whole. Larger ones are sampled: the first
 * and last MiB (partition tables, superblocks, RAID and LVM labels at either end), a window at
 * every power-of-two MiB (where partitions and filesystems are aligned) and 1024 windows spread
 * evenly, so any run of data longer than a thousandth of the device is seen.
 */
export function sampleWindows(size: bigint): Window[] {
  if (size <= READ_WHOLE_UP_TO) return [{ offset: 0n, length: size }];
  const windows: Window[] = [{ offset: 0n, length: MiB }];
  for (let offset = MiB; offset + WINDOW_BYTES <= size - MiB; offset *= 2n) {
    windows.push({ offset, length: WINDOW_BYTES });
  }
  const stride = (size / SPREAD_WINDOWS / 4096n) * 4096n;
  for (let index = 1n; index < SPREAD_WINDOWS; index++) {
    windows.push({ offset: index * stride, length: WINDOW_BYTES });
  }
  windows.push({ offset: size - MiB, length: MiB });
  return windows.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

/**
 * Decides whether a device is provably blank. blkid finding nothing (exit 2) is not proof on its
 * own: an absent, empty or unreadable device also has "nothing" on it. So wipefs must list no
 * signature, and every byte the sample reads must be zero: a volume fresh from the cloud reads as
 * zeros, anything else is somebody's data.
 */
export class SystemDeviceProbe implements DeviceProbe {
  constructor(
    private readonly exec: Exec,
    private readonly host: HostFs,
  ) {}

  async contents(device: string, sizeBytes: bigint): Promise<DeviceContents> {
    if (sizeBytes === 0n) throw failedPrecondition(`device ${device} cannot be read: its size is 0`);
    const [blkid, wipefs] = await Promise.all([this.blkid(device), this.wipefsSignatures(device)]);
    if (blkid === "ambivalent") {
      const found = wipefs.map(
        (signature) => `${signature.type ?? "unknown"} at offset ${signature.offset ?? "?"}`,
      );
      return {
        kind: "other",
        description: `more than one signature (${found.join(", ") || "blkid says ambivalent"}), so which one is the volume's cannot be told`,
      };
    }
    if (blkid !== undefined) {
      const fields = parseExport(blkid);
      if (fields.TYPE !== undefined && (fields.USAGE ?? "filesystem") === "filesystem") {
        return fields.UUID === undefined
          ? { kind: "filesystem", fsType: fields.TYPE }
          : { kind: "filesystem", fsType: fields.TYPE, uuid: fields.UUID };
      }
      if (fields.PTTYPE !== undefined)
        return { kind: "other", description: `a ${fields.PTTYPE} partition table` };
      if (fields.TYPE !== undefined)
        return { kind: "other", description: `a ${fields.TYPE} signature (${fields.USAGE})` };
    }
    const first = wipefs[0];
    if (first !== undefined) {
      return {
        kind: "other",
        description: `a ${first.type ?? "unknown"} signature at offset ${first.offset ?? "?"}`,
      };
    }
    const dataAt = await this.firstNonZero(device, sizeBytes);
    if (dataAt !== undefined) {
      return { kind: "other", description: `data that blkid and wipefs do not recognise at byte ${dataAt}` };
    }
    return { kind: "blank" };
  }

  /** blkid's export output; undefined when it finds nothing (exit 2), "ambivalent" for exit 8. */
  private async blkid(device: string): Promise<string | undefined> {
    try {
      return (await this.exec.run("blkid", ["-p", "-o", "export", device], { expectedExitCodes: [2, 8] }))
        .stdout;
    } catch (error) {
      if (error instanceof ExecError && error.exitCode === 2) return undefined;
      if (error instanceof ExecError && error.exitCode === 8) return "ambivalent";
      throw internal(`probing ${device} with blkid failed: ${(error as Error).message}`, error);
    }
  }

  private async wipefsSignatures(device: string): Promise<{ type?: string; offset?: string }[]> {
    try {
      const { stdout } = await this.exec.run("wipefs", ["--no-act", "--json", device]);
      return stdout.trim() === "" ? [] : (JSON.parse(stdout).signatures ?? []);
    } catch (error) {
      throw internal(`probing ${device} with wipefs failed: ${(error as Error).message}`, error);
    }
  }

  /**
   * The first byte the sample finds that is not zero, in sample order. The chunks are read
   * through one handle, a few at a time (a cloud disk answers many reads at once about as fast as
   * one); dispatch is in order and every read in flight is awaited, so the answer (data, or a
   * failed read) is the same one a read-one-by-one pass would give.
   */
  private async firstNonZero(device: string, size: bigint): Promise<bigint | undefined> {
    const chunks = chunksOf(sampleWindows(size));
    const outcomes: ChunkOutcome[] = [];
    const handle = await this.open(device);
    try {
      let next = 0;
      let found = false;
      const reader = async () => {
        const buffer = Buffer.allocUnsafe(Number(CHUNK_BYTES));
        while (next < chunks.length && !found) {
          const index = next++;
          const outcome = await this.readChunk(device, handle, chunks[index] as Window, buffer);
          outcomes[index] = outcome;
          if (outcome !== "zeros") found = true;
        }
      };
      await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, chunks.length) }, reader));
    } finally {
      await handle.close();
    }
    for (const outcome of outcomes) {
      if (outcome === "zeros") continue;
      if (outcome instanceof BallastError) throw outcome;
      return outcome;
    }
    return undefined;
  }

  private async open(device: string): Promise<ReadHandle> {
    try {
      return await this.host.openForReading(device);
    } catch (error) {
      throw failedPrecondition(`device ${device} cannot be opened for reading: ${(error as Error).message}`);
    }
  }

  private async readChunk(
    device: string,
    handle: ReadHandle,
    chunk: Window,
    buffer: Buffer,
  ): Promise<ChunkOutcome> {
    const want = Number(chunk.length);
    const into = buffer.subarray(0, want);
    let read: number;
    try {
      read = await handle.readInto(into, chunk.offset);
    } catch (error) {
      return failedPrecondition(
        `device ${device} cannot be read at byte ${chunk.offset}: ${(error as Error).message}`,
      );
    }
    if (read < want) {
      return failedPrecondition(
        `device ${device} cannot be read: it ended at byte ${chunk.offset + BigInt(read)}, before the ${chunk.offset + chunk.length} its size promises`,
      );
    }
    if (into.equals(ZEROS.subarray(0, want))) return "zeros";
    return chunk.offset + BigInt(into.findIndex((byte) => byte !== 0));
  }
}

/** A read chunk's answer: all zeros, the offset of its first non-zero byte, or why it failed. */
type ChunkOutcome = "zeros" | bigint | BallastError;

/** The windows cut into reads of at most one chunk, in order. */
function chunksOf(windows: Window[]): Window[] {
  const chunks: Window[] = [];
  for (const window of windows) {
    const end = window.offset + window.length;
    for (let offset = window.offset; offset < end; offset += CHUNK_BYTES) {
      const length = end - offset < CHUNK_BYTES ? end - offset : CHUNK_BYTES;
      chunks.push({ offset, length });
    }
  }
  return chunks;
}

function parseExport(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) fields[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return fields;
}
