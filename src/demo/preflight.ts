import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The problems a newcomer meets first, each as one sentence that says what to do. Returns the
 * sentence for the first problem found, or undefined when the machine can run the demo. The
 * sentence carries no program name: the CLI prefixes it with `ballast: `.
 */
export async function preflightProblem(
  getuid: (() => number) | undefined = process.getuid,
): Promise<string | undefined> {
  if (getuid?.() !== 0) {
    return "the demo mounts filesystems and makes loop devices, so it needs root: run it again with sudo (or as root).";
  }
  const hasLoopControl = await access("/dev/loop-control").then(
    () => true,
    () => false,
  );
  if (!hasLoopControl) {
    return "this machine has no /dev/loop-control: load the loop module with `modprobe loop`, or run the container with --privileged.";
  }
  try {
    await run("losetup", ["--find"], { timeout: 10_000 });
  } catch (error) {
    return `no free loop device (${(error as Error).message.trim()}): detach unused ones with \`losetup -D\` or raise max_loop, then try again.`;
  }
  return undefined;
}
