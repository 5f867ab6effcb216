import { BallastError, failedPrecondition, internal } from "../shared/errors.js";
import { type Exec, ExecError } from "./exec.js";
import type { HostFs } from "./host-fs.js";

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

  private async firstNonZero(device: string, size: bigint): Promise<bigint | undefined> {
    for (const window of sampleWindows(size)) {
      const end = window.offset + window.length;
      for (let offset = window.offset; offset < end; offset += CHUNK_BYTES) {
        const want = Number(end - offset < CHUNK_BYTES ? end - offset : CHUNK_BYTES);
        const bytes = await this.read(device, offset, want);
        if (bytes.equals(ZEROS.subarray(0, want))) continue;
        return offset + BigInt(bytes.findIndex((byte) => byte !== 0));
      }
    }
    return undefined;
  }

  private async read(device: string, offset: bigint, length: number): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await this.host.readAt(device, offset, length);
    } catch (error) {
      if (error instanceof BallastError) throw error;
      throw failedPrecondition(
        `device ${device} cannot be read at byte ${offset}: ${(error as Error).message}`,
      );
    }
    if (bytes.length < length) {
      throw failedPrecondition(
        `device ${device} cannot be read: it ended at byte ${offset + BigInt(bytes.length)}, before the ${offset + BigInt(length)} its size promises`,
      );
    }
    return bytes;
  }
}

function parseExport(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) fields[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return fields;
}
