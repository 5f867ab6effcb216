import { execFile } from "node:child_process";
import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { BenchDriver } from "../harness/bench-driver.js";
import { withEnvironment } from "../harness/environment.js";
import { unmountUnder } from "../harness/mount-cleanup.js";
import { elapsedMs, type LatencySummary, ratio, summarize } from "../harness/stats.js";
import { CALL_TIMEOUT_MS, GiB, mountCapability } from "../harness/workload.js";
import type { ScenarioRun } from "./scenario-run.js";

const run = promisify(execFile);

export interface NodePathOptions extends ScenarioRun {
  iterations: number;
  fsType: "ext4" | "xfs";
}

export interface NodePathResult {
  iterations: number;
  fsType: string;
  /** NodeStage + NodePublish + NodeUnpublish + NodeUnstage, one volume, through the socket. */
  driver: LatencySummary;
  /** The same mkfs/mount/umount commands from bench/node-path-bare.sh. */
  bare: LatencySummary;
  /** Per RPC, through the driver. */
  rpcs: Record<
    "NodeStageVolume" | "NodePublishVolume" | "NodeUnpublishVolume" | "NodeUnstageVolume",
    LatencySummary
  >;
  /** p50 of the driver over p50 of the bare commands. */
  ratio: number | null;
  /** Mounts the clean-up had to remove after the run (a driver that leaves mounts is a bug). */
  leftoverMounts: string[];
}

interface AttachedVolume {
  volumeId: string;
  publishContext: Record<string, string>;
  volumeContext: Record<string, string>;
}

async function attachHere(
  driver: BenchDriver,
  name: string,
  fsType: string,
  nodeId: string,
): Promise<AttachedVolume> {
  const { controller } = driver.csi;
  const capability = mountCapability(fsType);
  const created = await controller.createVolume(
    { name, capacityRange: { requiredBytes: BigInt(GiB) }, volumeCapabilities: [capability] },
    { timeoutMs: CALL_TIMEOUT_MS },
  );
  const volumeId = created.volume?.volumeId;
  if (volumeId === undefined) throw new Error(`CreateVolume ${name} answered no volume`);
  const published = await controller.controllerPublishVolume(
    { volumeId, nodeId, volumeCapability: capability, readonly: false },
    { timeoutMs: CALL_TIMEOUT_MS },
  );
  return {
    volumeId,
    publishContext: published.publishContext,
    volumeContext: created.volume?.volumeContext ?? {},
  };
}

async function release(driver: BenchDriver, volume: AttachedVolume, nodeId: string): Promise<void> {
  const { controller } = driver.csi;
  await controller.controllerUnpublishVolume(
    { volumeId: volume.volumeId, nodeId },
    { timeoutMs: CALL_TIMEOUT_MS },
  );
  await controller.deleteVolume({ volumeId: volume.volumeId }, { timeoutMs: CALL_TIMEOUT_MS });
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return elapsedMs(started);
}

/**
 * Scenario 6: the node path on real loop devices — the four node RPCs through the driver's socket
 * against the bare commands they come down to, each on its own freshly attached blank volume.
 */
export async function runNodePath(options: NodePathOptions): Promise<NodePathResult> {
  return withEnvironment(
    {
      ...options,
      remoteInstances: 0,
      maxAttachedPerInstance: 16,
      maxVolumes: options.iterations * 2 + 10,
      localAttach: true,
    },
    "node-path",
    async (environment) => {
      const driver = await environment.startDriver("driver");
      const nodeId = environment.cloud.localInstanceId;
      const kubeletDir = join(environment.dir, "kubelet");
      const capability = mountCapability(options.fsType);
      const { node } = driver.csi;
      const totals: number[] = [];
      const bare: number[] = [];
      const rpcs = {
        stage: [] as number[],
        publish: [] as number[],
        unpublish: [] as number[],
        unstage: [] as number[],
      };
      const script = join(options.repoRoot, "bench/node-path-bare.sh");
      let leftoverMounts: string[] = [];
      try {
        for (let index = 0; index < options.iterations; index += 1) {
          const viaDriver = await attachHere(driver, `pvc-node-driver-${index}`, options.fsType, nodeId);
          const viaBare = await attachHere(driver, `pvc-node-bare-${index}`, options.fsType, nodeId);
          const byIdPath = viaBare.publishContext.byIdPath;
          if (byIdPath === undefined)
            throw new Error(`publish context of ${viaBare.volumeId} has no byIdPath`);
          const device = await realpath(byIdPath);
          const staging = join(kubeletDir, String(index), "staging");
          const target = join(kubeletDir, String(index), "pods", "target");
          await mkdir(staging, { recursive: true });
          await mkdir(join(kubeletDir, String(index), "pods"), { recursive: true });
          const driverPath = async () => {
            const { volumeId, publishContext, volumeContext } = viaDriver;
            const stage = await timed(() =>
              node.nodeStageVolume(
                {
                  volumeId,
                  publishContext,
                  volumeContext,
                  stagingTargetPath: staging,
                  volumeCapability: capability,
                },
                { timeoutMs: CALL_TIMEOUT_MS },
              ),
            );
            const publish = await timed(() =>
              node.nodePublishVolume(
                {
                  volumeId,
                  publishContext,
                  volumeContext,
                  stagingTargetPath: staging,
                  targetPath: target,
                  volumeCapability: capability,
                  readonly: false,
                },
                { timeoutMs: CALL_TIMEOUT_MS },
              ),
            );
            const unpublish = await timed(() =>
              node.nodeUnpublishVolume({ volumeId, targetPath: target }, { timeoutMs: CALL_TIMEOUT_MS }),
            );
            const unstage = await timed(() =>
              node.nodeUnstageVolume(
                { volumeId, stagingTargetPath: staging },
                { timeoutMs: CALL_TIMEOUT_MS },
              ),
            );
            rpcs.stage.push(stage);
            rpcs.publish.push(publish);
            rpcs.unpublish.push(unpublish);
            rpcs.unstage.push(unstage);
            totals.push(stage + publish + unpublish + unstage);
          };
          const barePath = async () => {
            const bareRoot = join(kubeletDir, String(index), "bare");
            bare.push(
              await timed(() =>
                run(
                  "bash",
                  [script, options.fsType, device, join(bareRoot, "staging"), join(bareRoot, "target")],
                  {
                    timeout: CALL_TIMEOUT_MS,
                  },
                ),
              ),
            );
          };
          if (index % 2 === 0) {
            await driverPath();
            await barePath();
          } else {
            await barePath();
            await driverPath();
          }
          await release(driver, viaDriver, nodeId);
          await release(driver, viaBare, nodeId);
        }
      } finally {
        leftoverMounts = await unmountUnder(kubeletDir);
      }
      const driverSummary = summarize(totals);
      const bareSummary = summarize(bare);
      return {
        iterations: options.iterations,
        fsType: options.fsType,
        driver: driverSummary,
        bare: bareSummary,
        rpcs: {
          NodeStageVolume: summarize(rpcs.stage),
          NodePublishVolume: summarize(rpcs.publish),
          NodeUnpublishVolume: summarize(rpcs.unpublish),
          NodeUnstageVolume: summarize(rpcs.unstage),
        },
        ratio: ratio(driverSummary.p50Ms, bareSummary.p50Ms),
        leftoverMounts,
      };
    },
  );
}
