import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { lstat, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The processes whose parent is `pid`, read from /proc (Linux, where the driver runs). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // The command name in parentheses may hold spaces; the parent pid is the second field after it.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}

async function descendantsOf(pid: number): Promise<number[]> {
  const children = await childrenOf(pid);
  const below = await Promise.all(children.map(descendantsOf));
  return [...children, ...below.flat()];
}

const alive = (pid: number) =>
  lstat(`/proc/${pid}`).then(
    () => true,
    () => false,
  );

/** Waits for the process to end; a bound keeps a regression from hanging the suite. */
async function waitGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (!(await alive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

test("SIGTERM to `npm start` stops the driver it started and removes the socket", async (t) => {
  const stateDir = await mkdtemp(join(tmpdir(), "ballast-npm-start-"));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const args = ["--state-dir", stateDir, "--cloud-listen", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0"];
  const npm = spawn("npm", ["start", "--silent", "--", ...args, "--log-level", "warn"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const npmPid = npm.pid ?? 0;
  let descendants: number[] = [];
  t.after(() => {
    for (const pid of descendants) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  });
  await new Promise<void>((resolve, reject) => {
    let stdout = "";
    npm.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("ready\n")) resolve();
    });
    npm.once("exit", (code) => reject(new Error(`npm start exited ${code} before ready: ${stdout}`)));
  });
  descendants = await descendantsOf(npmPid);
  assert.ok(descendants.length > 0, "npm start has no child process");
  const socket = join(stateDir, "csi.sock");
  assert.equal((await lstat(socket)).isSocket(), true);

  process.kill(npmPid, "SIGTERM");

  for (const pid of descendants) {
    assert.equal(await waitGone(pid), true, `process ${pid} started by npm start outlived it`);
  }
  await assert.rejects(lstat(socket), { code: "ENOENT" });
});
