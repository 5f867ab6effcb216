import { lstat, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { failedPrecondition } from "../shared/errors.js";

/** Whether something accepts connections on the unix socket at `path`. */
function answers(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (live: boolean) => {
      socket.destroy();
      resolve(live);
    };
    socket.setTimeout(timeoutMs, () => done(true));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Makes `path` ready to bind: creates its directory, removes a stale socket left by a process that
 * died, and refuses — FailedPrecondition — when a live server still answers there or the path is
 * not a socket (never delete a file we did not make).
 */
export async function prepareSocketPath(path: string, probeTimeoutMs = 1000): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!stats.isSocket()) {
    throw failedPrecondition(`--endpoint: ${path} exists and is not a socket; refusing to replace it`);
  }
  if (await answers(path, probeTimeoutMs)) {
    throw failedPrecondition(
      `--endpoint: another server is already listening on ${path}: stop it, or choose another --endpoint`,
    );
  }
  await unlink(path);
}
