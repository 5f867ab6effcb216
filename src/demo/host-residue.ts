import { execFile } from "node:child_process";
import { readdir, readlink, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { realHostFs } from "../node/host-fs.js";
import { MountTable } from "../node/mount-table.js";

const run = promisify(execFile);
const COMMAND_TIMEOUT_MS = 30_000;

/** Where a run of the system may leave things on the host. */
export interface ResidueScope {
  /** Mounts at or below this directory (staging and target paths) are residue. */
  mountRoot: string;
  /** Loop devices whose backing file lies below this directory (the cloud's volume files) are residue. */
  backingFileRoot: string;
  /** `virtio-*` links in this directory are residue. */
  byIdDir?: string | undefined;
}

export interface LoopDevice {
  device: string;
  backingFile: string;
}

export interface HostResidue {
  mounts: string[];
  loopDevices: LoopDevice[];
  links: string[];
}

export function isClean(residue: HostResidue): boolean {
  return residue.mounts.length === 0 && residue.loopDevices.length === 0 && residue.links.length === 0;
}

export function describeResidue(residue: HostResidue): string {
  const parts = [
    ...residue.mounts.map((mount) => `mount ${mount}`),
    ...residue.loopDevices.map((loop) => `loop device ${loop.device} (${loop.backingFile})`),
    ...residue.links.map((link) => `link ${link}`),
  ];
  return parts.length === 0 ? "nothing" : parts.join(", ");
}

function isBelow(path: string, root: string): boolean {
  const base = resolve(root);
  return path === base || path.startsWith(`${base}/`);
}

/** Every loop device of the host with its backing file; the kernel marks removed files "(deleted)". */
export async function listLoopDevices(): Promise<LoopDevice[]> {
  const { stdout } = await run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"], {
    timeout: COMMAND_TIMEOUT_MS,
  });
  if (stdout.trim() === "") return [];
  const parsed = JSON.parse(stdout) as { loopdevices?: Array<{ name: string; "back-file": string | null }> };
  return (parsed.loopdevices ?? []).map((loop) => ({
    device: loop.name,
    backingFile: (loop["back-file"] ?? "").replace(/ \(deleted\)$/, ""),
  }));
}

export async function findHostResidue(scope: ResidueScope): Promise<HostResidue> {
  const entries = await new MountTable(realHostFs).entries();
  const mounts = entries.map((entry) => entry.mountPoint).filter((point) => isBelow(point, scope.mountRoot));
  const loopDevices = (await listLoopDevices()).filter((loop) =>
    isBelow(loop.backingFile, scope.backingFileRoot),
  );
  const links: string[] = [];
  if (scope.byIdDir !== undefined) {
    const names = await readdir(scope.byIdDir).catch(() => [] as string[]);
    links.push(
      ...names.filter((name) => name.startsWith("virtio-")).map((name) => join(scope.byIdDir ?? "", name)),
    );
  }
  return { mounts, loopDevices, links };
}

/**
 * Removes what a failed run left: mounts deepest first (a bind mount sits above its staging
 * mount), then loop devices, then links. Each removal is attempted even when another fails,
 * and what could not be removed is reported in the thrown error.
 */
export async function removeHostResidue(residue: HostResidue): Promise<void> {
  const failures: string[] = [];
  const mounts = [...residue.mounts].sort((a, b) => b.length - a.length);
  for (const mount of mounts) {
    await run("umount", [mount], { timeout: COMMAND_TIMEOUT_MS }).catch(() =>
      run("umount", ["--lazy", mount], { timeout: COMMAND_TIMEOUT_MS }).catch((error: Error) =>
        failures.push(`umount ${mount}: ${error.message}`),
      ),
    );
  }
  for (const loop of residue.loopDevices) {
    await run("losetup", ["--detach", loop.device], { timeout: COMMAND_TIMEOUT_MS }).catch((error: Error) =>
      failures.push(`losetup --detach ${loop.device}: ${error.message}`),
    );
  }
  for (const link of residue.links) {
    const target = await readlink(link).catch(() => undefined);
    if (target === undefined) continue;
    await rm(link, { force: true }).catch((error: Error) => failures.push(`rm ${link}: ${error.message}`));
  }
  if (failures.length > 0) throw new Error(`could not clean up: ${failures.join("; ")}`);
}
