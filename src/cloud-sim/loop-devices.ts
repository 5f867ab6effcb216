import { mkdir, readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { RunProgram } from "./run-program.js";

export interface LoopDevice {
  device: string;
  backingFile: string;
}

export type LocalAttachProbe = { available: true } | { available: false; reason: string };

/**
 * Loop devices over volume files and the `<byIdDir>/<link>` links that make them look like cloud
 * disks to the node plugin; the link is named as the cloud a face stands for names it (by default
 * `virtio-<serial>`). Every step is idempotent so an interrupted attach or detach can be
 * finished after a restart.
 */
export class LoopDevices {
  constructor(
    private readonly run: RunProgram,
    readonly byIdDir: string,
    private readonly linkName: (serial: string) => string = (serial) => `virtio-${serial}`,
  ) {}

  byIdPath(serial: string): string {
    return join(this.byIdDir, this.linkName(serial));
  }

  async probe(): Promise<LocalAttachProbe> {
    if (process.getuid?.() !== 0) {
      return {
        available: false,
        reason: "loop devices need root: run it as root (for example sudo npm start)",
      };
    }
    try {
      await this.run("losetup", ["--find"], { timeoutMs: 10_000 });
      return { available: true };
    } catch (error) {
      return {
        available: false,
        reason: `no free loop device (losetup --find: ${(error as Error).message.trim()}): load the loop module with modprobe loop, or detach unused devices with losetup -D`,
      };
    }
  }

  async list(): Promise<LoopDevice[]> {
    const output = await this.run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"]);
    if (output.trim() === "") return [];
    const parsed = JSON.parse(output) as { loopdevices?: { name: string; "back-file": string | null }[] };
    return (parsed.loopdevices ?? []).map((d) => ({
      device: d.name,
      backingFile: (d["back-file"] ?? "").replace(/ \(deleted\)$/, ""),
    }));
  }

  /** The loop device over `file`, made when there is none, linked under the serial's link name. */
  async attach(file: string, serial: string, readOnly: boolean): Promise<string> {
    const device = (await this.deviceOver(file)) ?? (await this.create(file, readOnly));
    await this.link(serial, device);
    return device;
  }

  /**
   * A new loop device over `file`, with direct I/O where the file's filesystem can do it: a cloud
   * disk's blocks are not in the node's page cache, and without it every block the node reads or
   * writes is cached twice, as the device's and as the file's. Where it cannot (ramfs, or tmpfs
   * on older kernels), losetup refuses the device outright, and older losetup versions make it
   * and then exit non-zero; either way the file still gets a device, with cached I/O.
   */
  private async create(file: string, readOnly: boolean): Promise<string> {
    const args = ["--find", "--show", ...(readOnly ? ["--read-only"] : []), "--", file];
    try {
      return (await this.run("losetup", ["--direct-io=on", ...args])).trim();
    } catch {
      return (await this.deviceOver(file)) ?? (await this.run("losetup", args)).trim();
    }
  }

  private async deviceOver(file: string): Promise<string | undefined> {
    return (await this.list()).find((loop) => loop.backingFile === file)?.device;
  }

  /** Removes the link and every loop device over `file`. */
  async detach(file: string, serial: string): Promise<void> {
    await rm(this.byIdPath(serial), { force: true });
    for (const loop of await this.list()) {
      if (loop.backingFile === file) await this.run("losetup", ["--detach", loop.device]);
    }
  }

  /** Makes the kernel see a grown backing file. */
  async refresh(device: string): Promise<void> {
    await this.run("losetup", ["--set-capacity", device]);
  }

  async linkTarget(serial: string): Promise<string | undefined> {
    try {
      return await readlink(this.byIdPath(serial));
    } catch {
      return undefined;
    }
  }

  private async link(serial: string, device: string): Promise<void> {
    if ((await this.linkTarget(serial)) === device) return;
    await mkdir(this.byIdDir, { recursive: true });
    const path = this.byIdPath(serial);
    await rm(path, { force: true });
    await symlink(device, path);
  }
}
