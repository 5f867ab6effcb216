import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Why the node path scenario cannot run here (it needs root and loop devices), or undefined. */
export async function nodePathUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "needs root (loop devices, mkfs, mount)";
  try {
    await run("losetup", ["-f"], { timeout: 10_000 });
  } catch (error) {
    return `no free loop device: ${(error as Error).message}`;
  }
  return undefined;
}
