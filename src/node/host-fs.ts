import * as fs from "node:fs/promises";
import { constants } from "node:fs/promises";
import { dirname } from "node:path";
import { splitDeviceNumber } from "./device-numbers.js";
import { type OpenOptions, openReadHandle, type ReadHandle } from "./direct-reads.js";

export type { OpenOptions, ReadHandle } from "./direct-reads.js";

/** What a path is, as far as the node's decisions go. */
export type PathKind = "directory" | "file" | "block-device" | "symlink" | "other";

export interface PathInfo {
  kind: PathKind;
  /** Bytes, for regular files. */
  size: bigint;
  /** Device numbers of a block device node. */
  device?: { major: number; minor: number };
}

export interface FilesystemUsage {
  blockSize: bigint;
  blocks: bigint;
  blocksFree: bigint;
  blocksAvailable: bigint;
  inodes: bigint;
  inodesFree: bigint;
}

/**
 * Every file-system call the node makes, so its decisions can be tested against a fake host
 * without root. Missing paths are `undefined` (or `false`) rather than errors wherever the node
 * treats "absent" as an answer; other failures reject with the errno error.
 */
export interface HostFs {
  /** The path itself, a symlink not followed; undefined when it does not exist. */
  lstat(path: string): Promise<PathInfo | undefined>;
  /** What the path resolves to; undefined when it (or its target) does not exist. */
  stat(path: string): Promise<PathInfo | undefined>;
  /** Canonical path with every symlink resolved; undefined when it does not resolve. */
  realpath(path: string): Promise<string | undefined>;
  /** Entry names of a directory; empty when it does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Text of a small file (sysfs attributes, mountinfo); undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Creates the directory and its parents; answers the first directory it created, if any. */
  mkdirp(path: string): Promise<string | undefined>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates an empty regular file when nothing is at the path. */
  touch(path: string): Promise<void>;
  /** Writes a small file and flushes it to disk before answering, replacing it whole. */
  writeDurably(path: string, text: string): Promise<void>;
  /**
   * Removes a file, if there is one, and flushes its directory before answering, so the removal
   * survives a power loss.
   */
  removeDurably(path: string): Promise<void>;
  statfs(path: string): Promise<FilesystemUsage>;
  /** Fills `length` bytes from `offset` of a file or device; fewer at its end. */
  readAt(path: string, offset: bigint, length: number): Promise<Buffer>;
  /**
   * Opens a file or device for many reads. A check that reads a device in many places holds one
   * handle: the last close of a block device makes the kernel drop its page cache and readahead.
   */
  openForReading(path: string, options?: OpenOptions): Promise<ReadHandle>;
  isExecutable(path: string): Promise<boolean>;
}

function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

async function orUndefined<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
  }
}

function pathInfo(stats: import("node:fs").BigIntStats): PathInfo {
  const kind: PathKind = stats.isDirectory()
    ? "directory"
    : stats.isFile()
      ? "file"
      : stats.isBlockDevice()
        ? "block-device"
        : stats.isSymbolicLink()
          ? "symlink"
          : "other";
  return kind === "block-device"
    ? { kind, size: stats.size, device: splitDeviceNumber(stats.rdev) }
    : { kind, size: stats.size };
}

/** Flushes a directory's entries: a rename or unlink in it is only durable once this returns. */
async function syncDirectory(path: string): Promise<void> {
  const directory = await fs.open(path, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The real host, through node:fs. */
export const realHostFs: HostFs = {
  lstat: async (path) => {
    const stats = await orUndefined(fs.lstat(path, { bigint: true }));
    return stats && pathInfo(stats);
  },
  stat: async (path) => {
    const stats = await orUndefined(fs.stat(path, { bigint: true }));
    return stats && pathInfo(stats);
  },
  realpath: (path) => orUndefined(fs.realpath(path)),
  readdir: async (path) => (await orUndefined(fs.readdir(path))) ?? [],
  readText: (path) => orUndefined(fs.readFile(path, "utf8")),
  mkdirp: (path) => fs.mkdir(path, { recursive: true }),
  rmdir: (path) => fs.rmdir(path),
  unlink: (path) => fs.unlink(path),
  touch: async (path) => {
    const handle = await fs.open(path, "a");
    await handle.close();
  },
  writeDurably: async (path, text) => {
    const temporary = `${path}.tmp`;
    const handle = await fs.open(temporary, "w");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, path);
    await syncDirectory(dirname(path));
  },
  removeDurably: async (path) => {
    if ((await orUndefined(fs.unlink(path).then(() => true))) === undefined) return;
    await syncDirectory(dirname(path));
  },
  statfs: async (path) => {
    const usage = await fs.statfs(path, { bigint: true });
    return {
      blockSize: usage.bsize,
      blocks: usage.blocks,
      blocksFree: usage.bfree,
      blocksAvailable: usage.bavail,
      inodes: usage.files,
      inodesFree: usage.ffree,
    };
  },
  readAt: async (path, offset, length) => {
    const handle = await realHostFs.openForReading(path);
    try {
      const buffer = Buffer.alloc(length);
      return buffer.subarray(0, await handle.readInto(buffer, offset));
    } finally {
      await handle.close();
    }
  },
  openForReading: (path, options) => openReadHandle(path, options),
  isExecutable: (path) =>
    fs.access(path, constants.X_OK).then(
      () => true,
      () => false,
    ),
};
