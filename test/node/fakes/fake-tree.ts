import { dirname, isAbsolute, join, normalize } from "node:path";
import type { FakeDevice } from "./fake-devices.js";

export type FakeNode =
  | { kind: "directory" }
  | { kind: "file"; content: Buffer }
  | { kind: "symlink"; target: string }
  | { kind: "block-device"; device: FakeDevice };

/** An errno error shaped like node:fs's, so the node's error handling sees what it would see. */
export function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${syscall} '${path}'`);
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

const MAX_SYMLINKS = 40;

/** An in-memory tree of directories, files, symlinks and device nodes, keyed by absolute path. */
export class FakeTree {
  readonly nodes = new Map<string, FakeNode>([["/", { kind: "directory" }]]);

  get(path: string): FakeNode | undefined {
    return this.nodes.get(path);
  }

  /**
   * The canonical path with symlinks resolved (the last component only when `followLast`);
   * undefined when a component is missing. Throws ELOOP for a cycle, ENOTDIR through a file.
   */
  resolve(path: string, followLast = true): string | undefined {
    let pending = normalize(path).split("/").filter(Boolean);
    let current = "/";
    let hops = 0;
    while (pending.length > 0) {
      const [name, ...rest] = pending as [string, ...string[]];
      pending = rest;
      const parent = this.nodes.get(current);
      if (parent === undefined) return undefined;
      if (parent.kind !== "directory") throw errno("ENOTDIR", "stat", path);
      const next = join(current, name);
      const node = this.nodes.get(next);
      if (node === undefined) {
        return pending.length === 0 ? next : undefined;
      }
      if (node.kind === "symlink" && (followLast || pending.length > 0)) {
        if (++hops > MAX_SYMLINKS) throw errno("ELOOP", "stat", path);
        const target = isAbsolute(node.target) ? node.target : join(current, node.target);
        pending = [...normalize(target).split("/").filter(Boolean), ...pending];
        current = "/";
        continue;
      }
      current = next;
    }
    return current;
  }

  /** The node a path leads to and where it is, or undefined when there is nothing there. */
  lookup(path: string, followLast = true): { path: string; node: FakeNode } | undefined {
    const resolved = this.resolve(path, followLast);
    const node = resolved === undefined ? undefined : this.nodes.get(resolved);
    return resolved === undefined || node === undefined ? undefined : { path: resolved, node };
  }

  /** Creates a directory and its parents; answers the first directory it created. */
  mkdirp(path: string): string | undefined {
    const found = this.lookup(path);
    if (found !== undefined) {
      if (found.node.kind !== "directory") throw errno("EEXIST", "mkdir", path);
      return undefined;
    }
    const parent = dirname(normalize(path));
    const first = parent === path ? undefined : this.mkdirp(parent);
    const where = this.resolve(path);
    if (where === undefined) throw errno("ENOENT", "mkdir", path);
    this.nodes.set(where, { kind: "directory" });
    return first ?? where;
  }

  /** Puts a node at a path whose parent directory exists. */
  place(path: string, node: FakeNode, syscall = "open"): void {
    const parent = this.lookup(dirname(normalize(path)));
    if (parent === undefined) throw errno("ENOENT", syscall, path);
    if (parent.node.kind !== "directory") throw errno("ENOTDIR", syscall, path);
    this.nodes.set(join(parent.path, normalize(path).split("/").at(-1) ?? ""), node);
  }

  children(directory: string): string[] {
    const prefix = directory === "/" ? "/" : `${directory}/`;
    return [...this.nodes.keys()]
      .filter((key) => key !== directory && key.startsWith(prefix) && !key.slice(prefix.length).includes("/"))
      .map((key) => key.slice(prefix.length))
      .sort();
  }

  remove(path: string): void {
    this.nodes.delete(path);
  }
}
