import { BallastError, failedPrecondition } from "../shared/errors.js";
import type { HostFs, ReadHandle } from "./host-fs.js";

const MiB = 1024n * 1024n;
/** Devices up to this size are read whole: a fresh volume reads as zeros in well under a second. */
const READ_WHOLE_UP_TO = 256n * MiB;
const WINDOW_BYTES = 64n * 1024n;
const SPREAD_WINDOWS = 1024n;
const CHUNK_BYTES = MiB;
/** Reads in flight at once during the blank check; each holds one chunk's buffer. */
const READS_IN_FLIGHT = 8;
/** Chunks per run read last to first (see readOrder). */
const RUN_CHUNKS = 64;
/** What a blank chunk reads as; compared whole, which is far cheaper than looking byte by byte. */
const ZEROS = Buffer.alloc(Number(CHUNK_BYTES));

/** A byte range of a device that the blank check reads. */
export interface Window {
  offset: bigint;
  length: bigint;
}

/**
 * Where the blank check looks. Small devices are read whole. Larger ones are sampled: the first
 * and last MiB (partition tables, superblocks, RAID and LVM labels at either end), a window at
 * every power-of-two MiB (where partitions and filesystems are aligned) and 1024 windows spread
 * evenly, so any run of data longer than a thousandth of the device is seen.
 */
export function sampleWindows(size: bigint): Window[] {
  if (size <= READ_WHOLE_UP_TO) return [{ offset: 0n, length: size }];
  const windows: Window[] = [{ offset: 0n, length: MiB }];
  for (let offset = MiB; offset + WINDOW_BYTES <= size - MiB; offset *= 2n) {
    windows.push({ offset, length: WINDOW_BYTES });
  }
  const stride = (size / SPREAD_WINDOWS / 4096n) * 4096n;
  for (let index = 1n; index < SPREAD_WINDOWS; index++) {
    windows.push({ offset: index * stride, length: WINDOW_BYTES });
  }
  windows.push({ offset: size - MiB, length: MiB });
  windows.sort((a, b) =>
    a.offset !== b.offset ? (a.offset < b.offset ? -1 : 1) : a.length > b.length ? -1 : 1,
  );
  // Where the spread's stride is a power of two MiB (a 1 GiB device), windows of both kinds fall
  // on the same offsets, and the last spread window inside the last MiB: each byte is read once.
  const distinct: Window[] = [];
  for (const window of windows) {
    const last = distinct.at(-1);
    if (last === undefined || window.offset + window.length > last.offset + last.length)
      distinct.push(window);
  }
  return distinct;
}

/** The windows cut into reads of at most one chunk, in order. */
export function chunksOf(windows: Window[]): Window[] {
  const chunks: Window[] = [];
  for (const window of windows) {
    const end = window.offset + window.length;
    for (let offset = window.offset; offset < end; offset += CHUNK_BYTES) {
      const length = end - offset < CHUNK_BYTES ? end - offset : CHUNK_BYTES;
      chunks.push({ offset, length });
    }
  }
  return chunks;
}

/**
 * The order the chunks are read in: runs of RUN_CHUNKS from the start, each run last chunk first.
 * The kernel's readahead (the device's own, and a loop device's backing file's) follows reads that
 * move forward: read front to back, a sample of 64 KiB windows a MiB apart gets everything in
 * between read as well, up to the whole device (a GiB read, and cached, to look at 68 MiB). A read
 * below the last one looks random to it and brings in only what was asked for.
 */
export function readOrder(count: number): number[] {
  const order: number[] = [];
  for (let start = 0; start < count; start += RUN_CHUNKS) {
    for (let index = Math.min(start + RUN_CHUNKS, count) - 1; index >= start; index--) order.push(index);
  }
  return order;
}

/** A read chunk's answer: all zeros, the offset of its first non-zero byte, or why it failed. */
type ChunkOutcome = "zeros" | bigint | BallastError;

/**
 * The first byte the sample finds that is not zero, in sample order; a failed read (or open)
 * throws FailedPrecondition. The chunks are read through one handle, a few at a time (a cloud disk
 * answers many reads at once about as fast as one), past the page cache where the device allows
 * it. Whatever the order, a chunk is skipped only once a chunk before it in sample order has read
 * as data or failed: the answer (data, or a failed read) is the one a pass reading one chunk after
 * the other from the start would give, and a pass that finds data stops within the run it found
 * it in.
 */
export async function firstNonZero(host: HostFs, device: string, size: bigint): Promise<bigint | undefined> {
  const chunks = chunksOf(sampleWindows(size));
  const order = readOrder(chunks.length);
  const outcomes: ChunkOutcome[] = [];
  let first = chunks.length;
  const handle = await open(host, device);
  try {
    let next = 0;
    const reader = async () => {
      const buffer = handle.allocate(Number(CHUNK_BYTES));
      while (next < order.length) {
        const index = order[next++] as number;
        if (index > first) continue;
        const outcome = await readChunk(device, handle, chunks[index] as Window, buffer);
        outcomes[index] = outcome;
        if (outcome !== "zeros" && index < first) first = index;
      }
    };
    await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, chunks.length) }, reader));
  } finally {
    await handle.close();
  }
  const outcome = outcomes[first];
  if (outcome === undefined || outcome === "zeros") return undefined;
  if (outcome instanceof BallastError) throw outcome;
  return outcome;
}

async function open(host: HostFs, device: string): Promise<ReadHandle> {
  try {
    return await host.openForReading(device, { direct: true });
  } catch (error) {
    throw failedPrecondition(`device ${device} cannot be opened for reading: ${(error as Error).message}`);
  }
}

async function readChunk(
  device: string,
  handle: ReadHandle,
  chunk: Window,
  buffer: Buffer,
): Promise<ChunkOutcome> {
  const want = Number(chunk.length);
  const into = buffer.subarray(0, want);
  let read: number;
  try {
    read = await handle.readInto(into, chunk.offset);
  } catch (error) {
    return failedPrecondition(
      `device ${device} cannot be read at byte ${chunk.offset}: ${(error as Error).message}`,
    );
  }
  if (read < want) {
    return failedPrecondition(
      `device ${device} cannot be read: it ended at byte ${chunk.offset + BigInt(read)}, before the ${chunk.offset + chunk.length} its size promises`,
    );
  }
  if (into.equals(ZEROS.subarray(0, want))) return "zeros";
  return chunk.offset + BigInt(into.findIndex((byte) => byte !== 0));
}
