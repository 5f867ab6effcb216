import assert from "node:assert/strict";
import { constants } from "node:fs";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { alignedBuffer, openReadHandle, type RawFile } from "../../../src/node/direct-reads.js";
import { errno } from "../fakes/fake-tree.js";

const CONTENT = Buffer.from(Array.from({ length: 8192 }, (_, index) => index % 251));

/** The kernel as far as these reads see it: which opens and reads it refuses, and a log of both. */
class FakeKernel {
  readonly log: string[] = [];
  refuseDirectOpen = false;
  directReadError: string | undefined;

  readonly open = async (path: string, flags: number): Promise<RawFile> => {
    const direct = (flags & constants.O_DIRECT) !== 0;
    this.log.push(`open ${path}${direct ? " direct" : ""}`);
    if (direct && this.refuseDirectOpen) throw errno("EINVAL", "open", path);
    return {
      read: async (buffer, offset, length, position) => {
        this.log.push(`read ${position}+${length}${direct ? " direct" : ""}`);
        if (direct && this.directReadError !== undefined) throw errno(this.directReadError, "read", path);
        const bytes = CONTENT.subarray(position, position + length);
        bytes.copy(buffer, offset);
        return { bytesRead: bytes.length };
      },
      close: async () => {
        this.log.push(`close${direct ? " direct" : ""}`);
      },
    };
  };
}

test("a device that refuses O_DIRECT at open is read through the page cache", async () => {
  const kernel = new FakeKernel();
  kernel.refuseDirectOpen = true;
  const handle = await openReadHandle("/dev/vdb", { direct: true }, kernel.open);
  const into = handle.allocate(16);
  assert.equal(await handle.readInto(into, 100n), 16);
  await handle.close();
  assert.deepEqual(into, CONTENT.subarray(100, 116));
  assert.deepEqual(kernel.log, ["open /dev/vdb direct", "open /dev/vdb", "read 100+16", "close"]);
});

test("a direct read the kernel refuses (EINVAL) is redone through the page cache, and so is every later read", async () => {
  const kernel = new FakeKernel();
  kernel.directReadError = "EINVAL";
  const handle = await openReadHandle("/dev/vdb", { direct: true }, kernel.open);
  const first = handle.allocate(16);
  const second = handle.allocate(8);
  assert.equal(await handle.readInto(first, 0n), 16);
  assert.equal(await handle.readInto(second, 4096n), 8);
  await handle.close();
  assert.deepEqual(first, CONTENT.subarray(0, 16));
  assert.deepEqual(second, CONTENT.subarray(4096, 4104));
  assert.deepEqual(kernel.log, [
    "open /dev/vdb direct",
    "read 0+16 direct",
    "open /dev/vdb",
    "read 0+16",
    "read 4096+8",
    "close direct",
    "close",
  ]);
});

test("a direct read that fails with EIO fails the read and is not redone", async () => {
  const kernel = new FakeKernel();
  kernel.directReadError = "EIO";
  const handle = await openReadHandle("/dev/vdb", { direct: true }, kernel.open);
  await assert.rejects(handle.readInto(handle.allocate(16), 0n), { code: "EIO" });
  await handle.close();
  assert.deepEqual(kernel.log, ["open /dev/vdb direct", "read 0+16 direct", "close direct"]);
});

test("an open without direct never asks for O_DIRECT", async () => {
  const kernel = new FakeKernel();
  const handle = await openReadHandle("/dev/vdb", {}, kernel.open);
  assert.equal(await handle.readInto(handle.allocate(4), 8n), 4);
  await handle.close();
  assert.deepEqual(kernel.log, ["open /dev/vdb", "read 8+4", "close"]);
});

test("buffers of a direct handle are aligned as O_DIRECT needs: reads of a real file are never refused", async () => {
  const directory = await fs.mkdtemp(join(tmpdir(), "ballast-direct-"));
  const file = join(directory, "image");
  const content = Buffer.from(Array.from({ length: 256 * 1024 }, (_, index) => (index * 7) % 256));
  await fs.writeFile(file, content);
  let cachedOpens = 0;
  const open = async (path: string, flags: number) => {
    if ((flags & constants.O_DIRECT) === 0) cachedOpens += 1;
    return fs.open(path, flags);
  };
  try {
    const handle = await openReadHandle(file, { direct: true }, open);
    const into = handle.allocate(64 * 1024);
    assert.equal(await handle.readInto(into, 128n * 1024n), 64 * 1024);
    await handle.close();
    assert.deepEqual(into, content.subarray(128 * 1024, 192 * 1024));
    assert.equal(cachedOpens, 0);
  } finally {
    await fs.rm(directory, { recursive: true, force: true });
  }
});

test("an aligned buffer has the length asked for and starts zeroed", () => {
  const buffer = alignedBuffer(100_000);
  assert.equal(buffer.length, 100_000);
  assert.equal(buffer.byteOffset, 0);
  assert.ok(buffer.every((byte) => byte === 0));
});

test("where no WebAssembly memory can be made, the buffer is an ordinary one of the length asked for", () => {
  const buffer = alignedBuffer(100_000, () => {
    throw new RangeError("WebAssembly.Memory(): could not allocate memory");
  });
  assert.equal(buffer.length, 100_000);
});
