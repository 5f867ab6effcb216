import { execFileSync } from "node:child_process";
import type { TestContext } from "node:test";

/**
 * Returns why this machine cannot run root/loop-device tests, or undefined when it can.
 */
export function rootUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (loop devices, mkfs, mount)";
  try {
    execFileSync("losetup", ["-f"], { stdio: "pipe" });
  } catch (error) {
    return `no free loop device: ${(error as Error).message}`;
  }
  return undefined;
}

/**
 * Skips the test outside CI when root and loop devices are missing; in CI the same condition
 * fails the test, because CI is where these tests must run.
 */
export function requireRoot(t: TestContext): boolean {
  const reason = rootUnavailableReason();
  if (reason === undefined) return true;
  if (process.env.CI === "true") throw new Error(`CI must run this test as root: ${reason}`);
  t.skip(reason);
  return false;
}
