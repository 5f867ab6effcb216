import { failedPrecondition, internal } from "../shared/errors.js";
import { firstNonZero } from "./blank-sample.js";
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
    const dataAt = await firstNonZero(this.host, device, sizeBytes);
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
}

function parseExport(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) fields[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return fields;
}
