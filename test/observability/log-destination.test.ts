import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const loggerModule = fileURLToPath(new URL("../../src/observability/logger.ts", import.meta.url));

// The child fills its only thread-pool thread with a long key derivation, logs one line and, in
// the same turn, reads back what its stdout (a file) holds. A line handed to the pool would still
// be waiting; a line written by the log call itself is already there.
const CHILD = `
import { pbkdf2 } from "node:crypto";
import { readFileSync } from "node:fs";
const { createLogger } = await import(process.argv[1]);
pbkdf2("password", "salt", 3_000_000, 64, "sha512", () => undefined);
createLogger("info").info({ volume_id: "vol-0123456789abcdef" }, "volume staged");
process.stderr.write(readFileSync(process.argv[2], "utf8"));
process.exit(0);
`;

test("a log line is on stdout when the log call returns, even while the thread pool is busy", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "ballast-log-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stdoutFile = join(dir, "stdout.log");
  const stdout = await open(stdoutFile, "w");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "--eval", CHILD, loggerModule, stdoutFile],
    { env: { ...process.env, UV_THREADPOOL_SIZE: "1" }, stdio: ["ignore", stdout.fd, "pipe"] },
  );
  let stderr = "";
  assert.ok(child.stderr !== null);
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const [exitCode] = await once(child, "exit");
  await stdout.close();
  assert.equal(exitCode, 0, stderr);
  const seen = stderr.split("\n").filter((line) => line !== "");
  assert.equal(seen.length, 1);
  const line = JSON.parse(seen[0] as string) as Record<string, unknown>;
  assert.equal(line.msg, "volume staged");
  assert.equal(line.volume_id, "vol-0123456789abcdef");
  assert.equal((await readFile(stdoutFile, "utf8")).trim(), (seen[0] as string).trim());
});
