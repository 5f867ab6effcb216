import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { type TestCloud, uniqueName } from "./harness.js";

const run = promisify(execFile);

/**
 * Writes 1, 2, 3, … to `first`, then the same number to `second`, each write synced before the
 * next begins, until it is killed. At any moment `second` holds `first`'s number or the one before
 * it; a snapshot of one point in time must show the same. Each number overwrites the last in place
 * (same width, one write, no truncation), so a freeze between two system calls never catches a file
 * empty.
 */
const WRITER = `
const { openSync, writeSync, fsyncSync } = require("node:fs");
const [first, second] = process.argv.slice(1).map((path) => openSync(path, "w+"));
const put = (fd, n) => { writeSync(fd, String(n).padStart(12, "0"), 0); fsyncSync(fd); };
for (let n = 1; ; n++) { put(first, n); put(second, n); if (n === 50) process.stdout.write("running\\n"); }
`;

/** Starts the writer on two files; resolves once it has put 50 in both, so a snapshot finds it running. */
export async function startWriter(first: string, second: string): Promise<ChildProcess> {
  const writer = spawn(process.execPath, ["-e", WRITER, first, second], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const output = writer.stdout;
  await new Promise<void>((resolve) => output?.once("data", () => resolve()));
  return writer;
}

/** Kills the writer and waits for it to be gone; a writer already gone is left as it is. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

/** A new volume attached here, formatted ext4 and mounted under `dir`; returns its id. */
export async function mountedVolume(c: TestCloud, instanceId: string, dir: string): Promise<string> {
  const created = await c.done("POST", "/v1/volumes", {
    name: uniqueName("vol"),
    zone: "ref-1a",
    sizeGiB: 1,
  });
  const attached = await c.done("POST", `/v1/volumes/${created.resourceId}/attachments`, { instanceId });
  const device = (await run("readlink", ["-f", attached.attachment?.byIdPath ?? ""])).stdout.trim();
  await run("mkfs.ext4", ["-q", "-F", device]);
  await mkdir(dir, { recursive: true });
  await run("mount", [device, dir]);
  return created.resourceId;
}

/** Where the test cloud keeps a snapshot's ext4 image. */
export function snapshotImage(c: TestCloud, snapshotId: string): string {
  return join(c.dir, "data", "snapshots", `${snapshotId}.img`);
}

/** A file of an ext4 image, read without mounting it. */
export async function fileInImage(image: string, path: string): Promise<string> {
  return (await run("debugfs", ["-R", `cat ${path}`, image])).stdout;
}
