import { constants } from "node:fs";
import * as fs from "node:fs/promises";

/** An open file or device. */
export interface ReadHandle {
  /** Fills `into` from `offset`; answers how many bytes it read, fewer only at the end. */
  readInto(into: Buffer, offset: bigint): Promise<number>;
  /** A buffer this handle reads into without a copy (page-aligned where it reads past the cache). */
  allocate(bytes: number): Buffer;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Read past the page cache (O_DIRECT) where the kernel allows it: no readahead drags in what
   * lies between the places read, and nothing read stays cached. Where the kernel refuses
   * (EINVAL, at open or at a read), the reads go through the cache as usual.
   */
  direct?: boolean;
}

/** The part of an open file the reads use; node's FileHandle, or a test's stand-in for the kernel. */
export interface RawFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export type OpenRaw = (path: string, flags: number) => Promise<RawFile>;

/** WebAssembly memory is page-aligned, as O_DIRECT needs its buffers to be; a page is 64 KiB. */
const WASM_PAGE_BYTES = 65_536;
/** The one part of the WebAssembly global used here (the project's lib settings leave it out). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
};

/**
 * A buffer O_DIRECT can read into. Each WebAssembly memory reserves gigabytes of address space for
 * its guard pages; where a limit on address space refuses that (RangeError), an ordinary buffer is
 * answered instead: the kernel refuses a direct read into it with EINVAL and the reads go through
 * the cache, so the check still gives its answer.
 */
export function alignedBuffer(
  bytes: number,
  makeMemory: (pages: number) => { readonly buffer: ArrayBuffer } = (initial) =>
    new WebAssembly.Memory({ initial }),
): Buffer {
  try {
    return Buffer.from(makeMemory(Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES))).buffer, 0, bytes);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return Buffer.allocUnsafe(bytes);
  }
}

function refused(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "EINVAL";
}

async function fill(file: RawFile, into: Buffer, offset: bigint): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await file.read(into, filled, into.length - filled, Number(offset) + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

function cachedHandle(file: RawFile): ReadHandle {
  return {
    readInto: (into, offset) => fill(file, into, offset),
    allocate: (bytes) => Buffer.allocUnsafe(bytes),
    close: () => file.close(),
  };
}

/**
 * Opens a file or device for reading. A direct handle whose read the kernel refuses (a file
 * system without O_DIRECT, a length or offset its block size does not divide) redoes that read,
 * and every later one, through a second, cached handle, so the answer is the one a cached read
 * gives.
 */
export async function openReadHandle(
  path: string,
  options: OpenOptions = {},
  open: OpenRaw = fs.open,
): Promise<ReadHandle> {
  if (options.direct !== true) return cachedHandle(await open(path, constants.O_RDONLY));
  let direct: RawFile;
  try {
    direct = await open(path, constants.O_RDONLY | constants.O_DIRECT);
  } catch (error) {
    if (!refused(error)) throw error;
    return cachedHandle(await open(path, constants.O_RDONLY));
  }
  let cached: Promise<RawFile> | undefined;
  return {
    readInto: async (into, offset) => {
      if (cached === undefined) {
        try {
          return await fill(direct, into, offset);
        } catch (error) {
          if (!refused(error)) throw error;
        }
        cached ??= open(path, constants.O_RDONLY);
      }
      return fill(await cached, into, offset);
    },
    allocate: (bytes) => alignedBuffer(bytes),
    close: async () => {
      try {
        await direct.close();
      } finally {
        // A cached handle that failed to open failed the read that wanted it; nothing to close.
        await cached?.then(
          (file) => file.close(),
          () => undefined,
        );
      }
    },
  };
}
