import type { FakeDisk } from "./fake-disk.js";

/** One mount of the fake host; a mountinfo line is generated from it. */
export interface FakeMount {
  mountId: number;
  parentId: number;
  major: number;
  minor: number;
  root: string;
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
  /** The disk whose filesystem this mount shows (kept even after the disk is detached). */
  disk: FakeDisk | undefined;
  /** For a bind of a device node (raw block): the node's numbers, which stat of the target shows. */
  boundDevice: { major: number; minor: number } | undefined;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function escapeField(field: string): string {
  return field.replace(/[ \t\n\\]/g, (char) => `\\${char.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** The fake kernel's mount list, oldest first. */
export class FakeMountList {
  readonly entries: FakeMount[] = [];
  private nextId = 20;

  add(mount: Omit<FakeMount, "mountId" | "parentId">): FakeMount {
    const parent = this.covering(mount.mountPoint);
    const entry = { ...mount, mountId: this.nextId++, parentId: parent?.mountId ?? 1 };
    this.entries.push(entry);
    return entry;
  }

  /** The mount a path lives on: the newest mount at the longest mount point above it. */
  covering(path: string): FakeMount | undefined {
    let best: FakeMount | undefined;
    for (const entry of this.entries) {
      const point = entry.mountPoint;
      const inside = point === "/" || path === point || path.startsWith(`${point}/`);
      if (inside && (best === undefined || point.length >= best.mountPoint.length)) best = entry;
    }
    return best;
  }

  top(mountPoint: string): FakeMount | undefined {
    return this.entries.filter((entry) => entry.mountPoint === mountPoint).at(-1);
  }

  at(mountPoint: string): FakeMount[] {
    return this.entries.filter((entry) => entry.mountPoint === mountPoint);
  }

  remove(entry: FakeMount): void {
    this.entries.splice(this.entries.indexOf(entry), 1);
  }

  /** /proc/self/mountinfo as the kernel writes it (proc(5)). */
  mountInfo(): string {
    return this.entries
      .map(
        (entry) =>
          `${entry.mountId} ${entry.parentId} ${entry.major}:${entry.minor} ${escapeField(entry.root)} ${escapeField(entry.mountPoint)} ${entry.options.join(",")} shared:1 - ${escapeField(entry.fsType)} ${escapeField(entry.source)} ${entry.options.includes("ro") ? "ro" : "rw"}\n`,
      )
      .join("");
  }
}
