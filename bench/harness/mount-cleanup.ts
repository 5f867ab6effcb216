import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Mount points at or under `root`, deepest first. */
export async function mountsUnder(root: string): Promise<string[]> {
  const table = await readFile("/proc/self/mountinfo", "utf8");
  const points = table
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((field): field is string => field !== undefined)
    .map(unescapeMountPath)
    .filter((point) => point === root || point.startsWith(`${root}/`));
  return points.sort((a, b) => b.length - a.length);
}

/**
 * Unmounts whatever a failed run left under `root` (lazily, so a busy mount cannot block the
 * rest of the clean-up). Returns what it had to unmount.
 */
export async function unmountUnder(root: string): Promise<string[]> {
  const points = await mountsUnder(root);
  for (const point of points) {
    await run("umount", ["-l", point], { timeout: 30_000 });
  }
  return points;
}
