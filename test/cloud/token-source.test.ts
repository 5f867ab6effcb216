import assert from "node:assert/strict";
import { mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { FileTokenSource, staticTokenSource } from "../../src/cloud/token-source.js";
import { BallastError } from "../../src/shared/errors.js";

describe("FileTokenSource", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-token-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reads the token without surrounding whitespace", async () => {
    const path = join(dir, "token");
    await writeFile(path, "first-token\n");
    assert.equal(await new FileTokenSource(path).token(), "first-token");
  });

  test("picks up a rotated token without a restart", async () => {
    const path = join(dir, "token");
    await writeFile(path, "first-token\n");
    const source = new FileTokenSource(path);
    assert.equal(await source.token(), "first-token");
    await writeFile(path, "second-token\n");
    // Same length and possibly the same mtime tick: make the change visible the way a Secret
    // update (new file, new mtime) is.
    await utimes(path, new Date(), new Date(Date.now() + 5_000));
    assert.equal(await source.token(), "second-token");
  });

  test("picks up a Secret-style atomic swap (a new file renamed over the old one)", async () => {
    const path = join(dir, "token");
    await writeFile(path, "first-token");
    const source = new FileTokenSource(path);
    assert.equal(await source.token(), "first-token");
    const next = join(dir, "token.next");
    await writeFile(next, "rotated-token");
    await rename(next, path);
    assert.equal(await source.token(), "rotated-token");
  });

  test("an unchanged file answers from the cache in the same turn of the event loop, with no I/O", async () => {
    const path = join(dir, "token");
    await writeFile(path, "first-token\n");
    const source = new FileTokenSource(path);
    assert.equal(await source.token(), "first-token");
    let answered: string | undefined;

    void source.token().then((token) => {
      answered = token;
    });
    await new Promise<void>((resolve) => queueMicrotask(resolve));

    assert.equal(answered, "first-token");
  });

  test("a missing file is Unavailable naming the path", async () => {
    const path = join(dir, "absent");
    await assert.rejects(
      new FileTokenSource(path).token(),
      new BallastError("Unavailable", `cloud token file ${JSON.stringify(path)} cannot be read: ENOENT`),
    );
  });

  test("an empty file is Unavailable naming the path", async () => {
    const path = join(dir, "token");
    await writeFile(path, "  \n");
    await assert.rejects(
      new FileTokenSource(path).token(),
      new BallastError("Unavailable", `cloud token file ${JSON.stringify(path)} is empty`),
    );
  });
});

describe("staticTokenSource", () => {
  test("answers the given token", async () => {
    assert.equal(await staticTokenSource("abc").token(), "abc");
  });

  test("refuses an empty token", () => {
    assert.throws(
      () => staticTokenSource(" "),
      new BallastError("InvalidArgument", "cloud token: must not be empty"),
    );
  });
});
