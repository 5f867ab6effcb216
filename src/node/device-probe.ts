import { open } from "node:fs/promises";
import { failedPrecondition, internal } from "../shared/errors.js";
import { type Exec, ExecError } from "./exec.js";

/** What is on a device, as far as the driver may act on it. */
export type DeviceContents =
  | { kind: "blank" }
  | { kind: "filesystem"; fsType: string }
  | { kind: "other"; description: string };

const PROBE_BYTES = 1024 * 1024;

/**
 * Decides whether a device is provably blank. blkid finding nothing (exit 2) is not proof on its
 * own: an absent, empty or unreadable device also has "nothing" on it. So the device must be
 * readable for its first MiB, wipefs must list no signature, and that first MiB must be zeros —
 * a volume fresh from the cloud reads as zeros; anything else is somebody's data. The three reads
 * only look, so they run at once; their answers are weighed in that order, as if one after another.
 */
export async function probeDevice(exec: Exec, device: string): Promise<DeviceContents> {
  const [head, blkid, wipefs] = await Promise.allSettled([
    readHead(device),
    blkidExport(exec, device),
    wipefsSignatures(exec, device),
  ]);
  if (head.status === "rejected") throw head.reason;
  if (blkid.status === "rejected") throw blkid.reason;
  if (blkid.value !== undefined) {
    const fields = parseExport(blkid.value);
    if (fields.TYPE !== undefined && (fields.USAGE ?? "filesystem") === "filesystem") {
      return { kind: "filesystem", fsType: fields.TYPE };
    }
    if (fields.PTTYPE !== undefined)
      return { kind: "other", description: `a ${fields.PTTYPE} partition table` };
    if (fields.TYPE !== undefined)
      return { kind: "other", description: `a ${fields.TYPE} signature (${fields.USAGE})` };
  }

  if (wipefs.status === "rejected") throw wipefs.reason;
  const signatures = wipefs.value;
  const first = signatures[0];
  if (first !== undefined) {
    return {
      kind: "other",
      description: `a ${first.type ?? "unknown"} signature at offset ${first.offset ?? "?"}`,
    };
  }
  if (!head.value.every((byte) => byte === 0)) {
    return { kind: "other", description: "data that blkid and wipefs do not recognise in its first MiB" };
  }
  return { kind: "blank" };
}

/** blkid's export output, or undefined when it finds nothing (exit 2). */
async function blkidExport(exec: Exec, device: string): Promise<string | undefined> {
  try {
    return (await exec.run("blkid", ["-p", "-o", "export", device], { expectedExitCodes: [2] })).stdout;
  } catch (error) {
    if (error instanceof ExecError && error.exitCode === 2) return undefined;
    throw internal(`probing ${device} with blkid failed: ${(error as Error).message}`, error);
  }
}

async function wipefsSignatures(exec: Exec, device: string): Promise<{ type?: string; offset?: string }[]> {
  try {
    const { stdout } = await exec.run("wipefs", ["--no-act", "--json", device]);
    return stdout.trim() === "" ? [] : (JSON.parse(stdout).signatures ?? []);
  } catch (error) {
    throw internal(`probing ${device} with wipefs failed: ${(error as Error).message}`, error);
  }
}

async function readHead(device: string): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(device, "r");
    const buffer = Buffer.alloc(PROBE_BYTES);
    let filled = 0;
    while (filled < PROBE_BYTES) {
      const { bytesRead } = await handle.read(buffer, filled, PROBE_BYTES - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled === 0)
      throw failedPrecondition(`device ${device} cannot be read: it returned no data (size 0?)`);
    return buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof Error && error.name === "BallastError") throw error;
    throw failedPrecondition(`device ${device} cannot be read: ${(error as Error).message}`);
  } finally {
    await handle?.close();
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
