import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { type CsiClient, createCsiClient, isServiceError } from "./csi-client.js";
import { type BallastProcess, startBallastProcess } from "./dev-process.js";
import { describeResidue, findHostResidue, isClean, removeHostResidue } from "./host-residue.js";
import { formatDuration, ProgressReporter, StepFailedError, type WriteLine } from "./progress.js";
import { type TourOptions, type TourRecord, tourOneVolume, tourSteps, UndoStack } from "./volume-tour.js";

export interface DemoOptions extends Omit<TourOptions, "workDir" | "namePrefix"> {
  /** A running driver's CSI endpoint; when absent the demo starts `ballast dev` itself. */
  endpoint?: string | undefined;
  /** Per-RPC timeout. */
  rpcTimeoutMs: number;
  /** The API the `ballast dev` the demo starts serves and drives (not used with `endpoint`). */
  cloudProvider?: string | undefined;
  write: WriteLine;
}

interface Target {
  csi: CsiClient;
  /** The dev system the demo started, stopped again at the end. */
  dev?: { process: BallastProcess; stateDir: string } | undefined;
}

/** How long the first call may take to show that something answers at --endpoint. */
const REACH_TIMEOUT_MS = 10_000;

/** Fails with one sentence that says what to do when no CSI server answers at `endpoint`. */
async function reachable(endpoint: string, csi: CsiClient): Promise<void> {
  try {
    await csi.identity.getPluginInfo({}, { timeoutMs: REACH_TIMEOUT_MS });
  } catch (error) {
    csi.close();
    if (
      !isServiceError(error) ||
      (error.code !== status.UNAVAILABLE && error.code !== status.DEADLINE_EXCEEDED)
    ) {
      throw error;
    }
    throw new Error(
      `nothing is listening at ${endpoint}: start a driver there (\`npm start\` runs one), or drop --endpoint and the demo starts its own`,
    );
  }
}

async function connect(options: DemoOptions): Promise<Target> {
  if (options.endpoint !== undefined) {
    const csi = createCsiClient(options.endpoint, options.rpcTimeoutMs);
    await reachable(options.endpoint, csi);
    return { csi };
  }
  const stateDir = await mkdtemp(join(tmpdir(), "ballast-demo-state-"));
  options.write(`starting ballast dev (state in ${stateDir}) …`);
  try {
    const process = await startBallastProcess({
      // Ephemeral ports: the demo never collides with a `ballast dev` already running here.
      args: [
        "dev",
        "--state-dir",
        stateDir,
        "--endpoint",
        `unix://${join(stateDir, "csi.sock")}`,
        "--cloud-listen",
        "127.0.0.1:0",
        "--metrics-address",
        "127.0.0.1:0",
        "--log-level",
        "warn",
        ...(options.cloudProvider === undefined ? [] : ["--cloud-provider", options.cloudProvider]),
      ],
    });
    const endpoint = process.endpoint ?? `unix://${join(stateDir, "csi.sock")}`;
    options.write(`ballast dev is ready on ${endpoint}`);
    return { csi: createCsiClient(endpoint, options.rpcTimeoutMs), dev: { process, stateDir } };
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/** Volumes and snapshots of this run that the driver still lists. */
async function listedLeftovers(csi: CsiClient, record: TourRecord): Promise<string[]> {
  const listed = new Set<string>();
  let startingToken = "";
  do {
    const page = await csi.controller.listVolumes({ startingToken });
    for (const entry of page.entries) if (entry.volume) listed.add(entry.volume.volumeId);
    startingToken = page.nextToken;
  } while (startingToken !== "");
  // A provider without snapshots made none, and cannot list them.
  while (record.listsSnapshots) {
    const page = await csi.controller.listSnapshots({ startingToken });
    for (const entry of page.entries) if (entry.snapshot) listed.add(entry.snapshot.snapshotId);
    startingToken = page.nextToken;
    if (startingToken === "") break;
  }
  return [...record.volumeIds, ...record.snapshotIds].filter((id) => listed.has(id));
}

/**
 * The whole demo: connect (or start `ballast dev`), walk one volume through its life, clean up,
 * prove nothing is left (no volumes, snapshots, mounts, loop devices or links), print a summary.
 * Resolves true when every step passed; never leaves the dev system it started running.
 */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const started = performance.now();
  const target = await connect(options);
  const workDir = await mkdtemp(join(tmpdir(), "ballast-demo-"));
  const steps = tourSteps(options);
  const progress = new ProgressReporter(steps, options.write);
  const undo = new UndoStack();
  const record: TourRecord = { volumeIds: [], snapshotIds: [], listsSnapshots: false };
  let failure: string | undefined;
  try {
    await tourOneVolume(
      target.csi,
      { ...options, workDir, namePrefix: `ballast-demo-${randomBytes(4).toString("hex")}` },
      progress,
      undo,
      record,
    );
  } catch (error) {
    failure = error instanceof StepFailedError ? error.message : String(error);
  }

  try {
    await progress.step("clean up", async () => {
      const undone = undo.size;
      const failures = await undo.unwind();
      if (failures.length > 0) throw new Error(failures.join("; "));
      return {
        value: undefined,
        detail: `${undone} actions undone: ${record.volumeIds.length} volumes, ${record.snapshotIds.length} snapshot${record.snapshotIds.length === 1 ? "" : "s"} deleted`,
      };
    });
    await progress.step("nothing left", async () => {
      const listed = await listedLeftovers(target.csi, record);
      const residue = await findHostResidue({
        mountRoot: workDir,
        backingFileRoot: target.dev?.stateDir ?? workDir,
        byIdDir: target.dev === undefined ? undefined : join(target.dev.stateDir, "by-id"),
      });
      if (listed.length > 0 || !isClean(residue)) {
        await removeHostResidue(residue).catch(() => undefined);
        throw new Error(`left behind: ${[...listed, describeResidue(residue)].join(", ")}`);
      }
      return { value: undefined, detail: "no volumes, snapshots, mounts, loop devices or links remain" };
    });
  } catch (error) {
    failure ??= error instanceof StepFailedError ? error.message : String(error);
  } finally {
    target.csi.close();
    await rm(workDir, { recursive: true, force: true });
    if (target.dev !== undefined) {
      await target.dev.process.stop();
      await rm(target.dev.stateDir, { recursive: true, force: true });
    }
  }

  const passed = progress.results.filter((result) => result.ok).length;
  const elapsed = formatDuration(performance.now() - started);
  if (failure === undefined) {
    options.write(`demo passed: ${passed}/${steps} steps in ${elapsed}, nothing left behind`);
    return true;
  }
  options.write(`demo FAILED after ${passed}/${steps} steps in ${elapsed}: ${failure}`);
  return false;
}
