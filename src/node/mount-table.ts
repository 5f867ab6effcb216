import type { HostFs } from "./host-fs.js";

/** One line of /proc/self/mountinfo (see proc(5)), with octal escapes decoded. */
export interface MountEntry {
  mountId: number;
  parentId: number;
  major: number;
  minor: number;
  /** The path inside the mounted filesystem that is the root of this mount (`/` unless a bind of a subtree or a file). */
  root: string;
  mountPoint: string;
  mountOptions: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as `\ooo`. */
function decodeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const fields = line.split(" ");
    const separator = fields.indexOf("-", 6);
    if (separator < 0 || fields.length < separator + 3) continue;
    const [mountId, parentId, devices, root, mountPoint, mountOptions] = fields;
    const [major, minor] = (devices ?? "").split(":").map(Number);
    entries.push({
      mountId: Number(mountId),
      parentId: Number(parentId),
      major: major ?? -1,
      minor: minor ?? -1,
      root: decodeOctal(root ?? ""),
      mountPoint: decodeOctal(mountPoint ?? ""),
      mountOptions: (mountOptions ?? "").split(","),
      fsType: decodeOctal(fields[separator + 1] ?? ""),
      source: decodeOctal(fields[separator + 2] ?? ""),
      superOptions: (fields[separator + 3] ?? "").split(","),
    });
  }
  return entries;
}

/**
 * The kernel's mount table, read fresh on every question: the driver keeps no memory of what it
 * mounted, so a restart between calls changes nothing.
 */
export class MountTable {
  constructor(
    private readonly host: HostFs,
    private readonly mountInfoPath = "/proc/self/mountinfo",
  ) {}

  async entries(): Promise<MountEntry[]> {
    const text = await this.host.readText(this.mountInfoPath);
    if (text === undefined) throw new Error(`${this.mountInfoPath} does not exist`);
    return parseMountInfo(text);
  }

  /**
   * Mounts at exactly this path, oldest first; the last one is what the path shows. The kernel
   * records mount points with symlinks resolved, and kubelet's directory may sit behind one
   * (/var/lib/kubelet → /data/kubelet), so the path is resolved too; when it cannot be (gone, or
   * a mount whose device went away) it is taken as given.
   */
  async at(path: string): Promise<MountEntry[]> {
    const resolved = (await this.host.realpath(path).catch(() => undefined)) ?? path;
    return (await this.entries()).filter(
      (entry) => entry.mountPoint === resolved || entry.mountPoint === path,
    );
  }

  async top(path: string): Promise<MountEntry | undefined> {
    return (await this.at(path)).at(-1);
  }
}

export function isReadOnly(entry: MountEntry): boolean {
  return entry.mountOptions.includes("ro");
}
