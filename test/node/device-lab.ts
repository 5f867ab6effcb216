import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ServerUnaryCall, StatusObject } from "@grpc/grpc-js";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import type { NodeServer } from "../../src/generated/csi.js";
import type { Clock } from "../../src/node/clock.js";
import { createExec, type Exec } from "../../src/node/exec.js";
import { parseMountInfo } from "../../src/node/mount-table.js";
import { createNodeService, type NodeService } from "../../src/node/node-service.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";

const run = promisify(execFile);

export interface LabVolume {
  volumeId: string;
  image: string;
  loop: string;
  link: string;
}

/** Runs a shell-free command for test setup and returns its stdout. */
export async function sh(command: string, ...args: string[]): Promise<string> {
  return (await run(command, args, { timeout: 120_000 })).stdout;
}

export function newVolumeId(): string {
  return `vol-${randomBytes(8).toString("hex")}`;
}

/**
 * A private world of sparse files, loop devices and by-id links under one temp dir, torn down
 * completely (mounts, loops, files) by `cleanup`, which tests register before doing anything.
 */
export class DeviceLab {
  readonly loops = new Set<string>();

  private constructor(readonly root: string) {}

  static async create(): Promise<DeviceLab> {
    const lab = new DeviceLab(await mkdtemp(join(tmpdir(), "ballast-node-")));
    await mkdir(lab.byIdDir);
    await mkdir(lab.imagesDir);
    return lab;
  }

  get byIdDir(): string {
    return join(this.root, "by-id");
  }

  /** The node plugin's state directory (its journal of formats). */
  get stateDir(): string {
    return join(this.root, "state");
  }

  get imagesDir(): string {
    return join(this.root, "images");
  }

  path(...parts: string[]): string {
    return join(this.root, "kubelet", ...parts);
  }

  /** A sparse file of `sizeMiB`, attached to a loop device and linked as `virtio-<id>`. */
  async addVolume(sizeMiB: number, volumeId = newVolumeId()): Promise<LabVolume> {
    const image = join(this.imagesDir, `${volumeId}.img`);
    await sh("truncate", "-s", `${sizeMiB}M`, image);
    const loop = (await sh("losetup", "--find", "--show", image)).trim();
    this.loops.add(loop);
    const link = join(this.byIdDir, `virtio-${volumeId}`);
    await symlink(loop, link);
    return { volumeId, image, loop, link };
  }

  /** A block-for-block copy of a volume under a new id, as the cloud's clone and restore make. */
  async cloneVolume(source: LabVolume, volumeId = newVolumeId()): Promise<LabVolume> {
    const image = join(this.imagesDir, `${volumeId}.img`);
    await sh("cp", "--sparse=always", source.image, image);
    const loop = (await sh("losetup", "--find", "--show", image)).trim();
    this.loops.add(loop);
    const link = join(this.byIdDir, `virtio-${volumeId}`);
    await symlink(loop, link);
    return { volumeId, image, loop, link };
  }

  /** What the cloud does on detach: the loop device goes and so does the link. */
  async pull(volume: LabVolume): Promise<void> {
    await unlink(volume.link).catch(() => undefined);
    await sh("losetup", "-d", volume.loop);
    this.loops.delete(volume.loop);
  }

  /** Re-attaches a pulled volume, possibly on another loop device, as the cloud would. */
  async reattach(volume: LabVolume): Promise<LabVolume> {
    const loop = (await sh("losetup", "--find", "--show", volume.image)).trim();
    this.loops.add(loop);
    await unlink(volume.link).catch(() => undefined);
    await symlink(loop, volume.link);
    return { ...volume, loop };
  }

  /** Grows the backing file and tells the loop driver, as the cloud's resize does. */
  async grow(volume: LabVolume, sizeMiB: number): Promise<void> {
    await sh("truncate", "-s", `${sizeMiB}M`, volume.image);
    await sh("losetup", "-c", volume.loop);
  }

  async mountsUnder(): Promise<string[]> {
    const entries = parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"));
    return entries.map((entry) => entry.mountPoint).filter((point) => point.startsWith(`${this.root}/`));
  }

  /**
   * Unmounts, detaches and deletes everything the lab made. What cannot be undone fails the test
   * that registered the clean-up, so a leaked mount or loop device is never silent.
   */
  async cleanup(): Promise<void> {
    const umountFailures: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const points = await this.mountsUnder();
      if (points.length === 0) break;
      for (const point of points.reverse()) {
        await sh("umount", point).catch((error: Error) => umountFailures.push(`${point}: ${error.message}`));
      }
    }
    const leftover = await this.mountsUnder();
    const failures: string[] = [];
    for (const loop of this.loops) {
      await sh("losetup", "-d", loop).catch((error: Error) =>
        failures.push(`losetup -d ${loop}: ${error.message}`),
      );
    }
    this.loops.clear();
    if (leftover.length > 0) {
      throw new Error(
        `the lab leaked mounts it could not unmount: ${leftover.join(", ")} (${umountFailures.join("; ")})`,
      );
    }
    await rm(this.root, { recursive: true, force: true });
    if (failures.length > 0) throw new Error(`the lab's clean-up failed: ${failures.join("; ")}`);
  }
}

/** A NodeService and its gRPC handlers wired to a lab. */
export async function labDriver(
  lab: DeviceLab,
  options: { exec?: Exec; deviceWaitMs?: number; clock?: Clock } = {},
): Promise<{ service: NodeService; handlers: NodeServer; metrics: Metrics; exec: Exec }> {
  const logger = createLogger("silent");
  const metrics = new Metrics({ defaultMetrics: false });
  const exec = options.exec ?? createExec(logger);
  const service = await createNodeService({
    exec,
    logger,
    metrics,
    byIdDir: lab.byIdDir,
    stateDir: lab.stateDir,
    deviceWaitMs: options.deviceWaitMs ?? 1500,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    udevadmPath: null,
    identity: { nodeId: "i-0123456789abcdef", zone: "zone-a", maxVolumesPerNode: 20 },
  });
  return { service, handlers: createNodeHandlers(service), metrics, exec };
}

/** Calls a grpc-js unary handler directly; rejects with the gRPC status it answered. */
export function invoke<Req, Res>(handler: NodeServer[keyof NodeServer], request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const call = { request, getDeadline: () => Number.POSITIVE_INFINITY } as unknown as ServerUnaryCall<
      Req,
      Res
    >;
    (
      handler as (
        call: ServerUnaryCall<Req, Res>,
        callback: (error: StatusObject | null, value?: Res) => void,
      ) => void
    )(call, (error, value) => (error ? reject(error) : resolve(value as Res)));
  });
}

/** Writes random data to a file and returns its sha256. */
export async function writeChecksummed(path: string, bytes = 1024 * 1024): Promise<string> {
  const data = randomBytes(bytes);
  await writeFile(path, data, { flush: true });
  return createHash("sha256").update(data).digest("hex");
}

export async function checksumOf(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Records every command and fails it: proof that nothing was executed. */
export function recordingExec(): Exec & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async run(command, args) {
      calls.push([command, ...args]);
      throw new Error(`unexpected command ${command} ${args.join(" ")}`);
    },
  };
}

/** Wraps an Exec and records what ran through it. */
export function spyingExec(inner: Exec): Exec & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run(command, args, options) {
      calls.push([command, ...args]);
      return inner.run(command, args, options);
    },
  };
}
