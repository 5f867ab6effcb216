import { lstat, readdir, realpath } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { BallastError, failedPrecondition, invalidArgument, notFound } from "../shared/errors.js";
import { type BlockDevice, blockDeviceNumbers, isMissing, type Sysfs, sameDevice } from "./block-device.js";
import type { Exec } from "./exec.js";

/** What ControllerPublishVolume told the node about the volume's device. */
export interface DeviceHint {
  serial: string;
  byIdPath?: string;
}

export interface DeviceDiscoveryOptions {
  byIdDir: string;
  sysfs: Sysfs;
  exec: Exec;
  logger: Logger;
  metrics: Metrics;
  /** How long to wait for the device to appear before answering NotFound. */
  waitBudgetMs: number;
  /** Path of udevadm, or undefined when this machine has none. */
  udevadmPath: string | undefined;
}

export interface FoundDevice extends BlockDevice {
  /** The by-id link the device was found through. */
  link: string;
}

const SERIAL_PATTERN = /^[A-Za-z0-9._-]{1,20}$/;
const VOLUME_ID_PATTERN = /vol-[0-9a-f]{16}/g;
const VIRTIO_SERIAL_LENGTH = 20;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1000;

/** The serial the cloud gives a volume's device: its id, cut to what virtio can carry. */
export function serialOfVolume(volumeId: string): string {
  return volumeId.slice(0, VIRTIO_SERIAL_LENGTH);
}

/** Checks the publish context against the volume before anything looks at a device. */
export function checkedDeviceHint(
  volumeId: string,
  publishContext: Readonly<Record<string, string>>,
): DeviceHint {
  const serial = publishContext.serial ?? "";
  if (serial === "") throw invalidArgument("publish_context.serial is required");
  if (!SERIAL_PATTERN.test(serial)) {
    throw invalidArgument(`publish_context.serial: ${JSON.stringify(serial)} is not a device serial`);
  }
  if (serial !== serialOfVolume(volumeId)) {
    throw invalidArgument(
      `publish_context.serial: ${JSON.stringify(serial)} is not the serial of volume ${volumeId} (expected ${JSON.stringify(serialOfVolume(volumeId))})`,
    );
  }
  const byIdPath = publishContext.byIdPath;
  if (byIdPath === undefined || byIdPath === "") return { serial };
  const name = basename(byIdPath);
  if (!byIdPath.startsWith("/") || !name.endsWith(serial) || name.includes("..")) {
    throw invalidArgument(
      `publish_context.byIdPath: ${JSON.stringify(byIdPath)} is not an absolute by-id path ending in serial ${serial}`,
    );
  }
  return { serial, byIdPath };
}

/** The serial a by-id link name stands for, when the name follows a convention we know. */
function serialInLinkName(name: string): string | undefined {
  if (name.startsWith("virtio-")) return name.slice("virtio-".length);
  return name.match(VOLUME_ID_PATTERN)?.[0];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Finds a volume's device under the by-id directory and proves it is that volume's before
 * anyone touches it. The proof, strongest first:
 * - a serial the device itself reports (virtio-blk `/sys/dev/block/M:m/serial`) must equal the
 *   volume's serial;
 * - no other by-id link naming a different serial or volume id may resolve to the same device,
 *   and the cloud's own hint path, if it exists, must resolve to the same device;
 * - for loop devices, a backing file whose path names a volume id must name this volume, and
 *   must not have been deleted;
 * - the link name carries the serial and resolves to a real block device node under /dev.
 * Any contradiction is refused; a device that never appears is NotFound, never a guess.
 */
export class DeviceDiscovery {
  constructor(private readonly options: DeviceDiscoveryOptions) {}

  /** Link names, in the order they are tried, for a hint. */
  candidateLinks(hint: DeviceHint): string[] {
    const names = [`virtio-${hint.serial}`];
    if (hint.byIdPath !== undefined) names.unshift(basename(hint.byIdPath));
    return [...new Set(names)].map((name) => join(this.options.byIdDir, name));
  }

  async find(volumeId: string, hint: DeviceHint): Promise<FoundDevice> {
    const { metrics, waitBudgetMs } = this.options;
    const started = Date.now();
    const elapsed = () => (Date.now() - started) / 1000;
    const candidates = this.candidateLinks(hint);
    let delay = FIRST_DELAY_MS;
    let triggered = false;
    for (;;) {
      const link = await this.firstExisting(candidates);
      if (link !== undefined) {
        try {
          const device = await this.verify(volumeId, hint, link);
          metrics.nodeDeviceWait.observe({ result: "found" }, elapsed());
          return device;
        } catch (error) {
          metrics.nodeDeviceWait.observe({ result: "mismatch" }, elapsed());
          metrics.nodeErrors.inc({ operation: "device_wait", kind: kindOf(error) });
          throw error;
        }
      }
      if (!triggered) {
        triggered = true;
        await this.triggerUdev();
      }
      const remaining = waitBudgetMs - (Date.now() - started);
      if (remaining <= 0) break;
      await sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
    metrics.nodeDeviceWait.observe({ result: "timeout" }, elapsed());
    metrics.nodeErrors.inc({ operation: "device_wait", kind: "NotFound" });
    throw notFound(
      `device of volume ${volumeId} (serial ${hint.serial}) did not appear within ${waitBudgetMs} ms; looked for ${candidates.join(", ")}`,
    );
  }

  /** The volume's device if its link exists right now and verifies; undefined when the link is gone. */
  async findNow(volumeId: string, hint: DeviceHint): Promise<FoundDevice | undefined> {
    const link = await this.firstExisting(this.candidateLinks(hint));
    return link === undefined ? undefined : this.verify(volumeId, hint, link);
  }

  private async firstExisting(links: string[]): Promise<string | undefined> {
    for (const link of links) {
      try {
        await lstat(link);
        return link;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    return undefined;
  }

  private async triggerUdev(): Promise<void> {
    const { udevadmPath, exec, logger } = this.options;
    if (udevadmPath === undefined) return;
    try {
      await exec.run(udevadmPath, ["trigger", "--action=add", "--subsystem-match=block"], {
        timeoutMs: 10_000,
      });
      await exec.run(udevadmPath, ["settle", "--timeout=5"], { timeoutMs: 10_000 });
    } catch (error) {
      logger.warn({ err: error }, "udevadm trigger failed; still waiting for the device link");
    }
  }

  private async verify(volumeId: string, hint: DeviceHint, link: string): Promise<FoundDevice> {
    const { sysfs } = this.options;
    const refuse = (why: string) =>
      failedPrecondition(`refusing device for volume ${volumeId} (serial ${hint.serial}) at ${link}: ${why}`);
    let path: string;
    try {
      path = await realpath(link);
    } catch (error) {
      if (isMissing(error)) throw notFound(`by-id link ${link} of volume ${volumeId} points at nothing`);
      throw error;
    }
    if (!path.startsWith("/dev/")) throw refuse(`it resolves to ${path}, outside /dev`);
    const numbers = await blockDeviceNumbers(path).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (numbers === undefined) throw refuse(`${path} is not a block device`);
    const device: FoundDevice = { path, link, ...numbers };

    const reported = await sysfs.virtioSerial(device);
    if (reported !== undefined && reported !== hint.serial) {
      throw refuse(`${path} reports serial ${JSON.stringify(reported)}`);
    }

    const backingFile = await sysfs.loopBackingFile(device);
    if (backingFile !== undefined) {
      if (backingFile.endsWith(" (deleted)")) throw refuse(`loop device ${path} is backed by a deleted file`);
      const named: string[] = backingFile.match(VOLUME_ID_PATTERN) ?? [];
      if (named.length > 0 && !named.includes(volumeId)) {
        throw refuse(`loop device ${path} is backed by ${backingFile}, which belongs to ${named.join(", ")}`);
      }
    }

    for (const name of await readdir(this.options.byIdDir)) {
      const other = join(this.options.byIdDir, name);
      const otherSerial = serialInLinkName(name);
      if (other === link || otherSerial === undefined || otherSerial === hint.serial) continue;
      if (otherSerial === volumeId) continue;
      const target = await realpath(other).catch(() => undefined);
      if (target === path) {
        throw refuse(`${path} is also linked as ${other}, the serial of another volume (${otherSerial})`);
      }
    }

    if (hint.byIdPath !== undefined && hint.byIdPath !== link) {
      const hinted = await realpath(hint.byIdPath).catch(() => undefined);
      if (hinted !== undefined && hinted !== path) {
        throw refuse(`the cloud's hint ${hint.byIdPath} resolves to ${hinted}, not ${path}`);
      }
    }

    const recheck = await blockDeviceNumbers(path).catch(() => undefined);
    if (recheck === undefined || !sameDevice(recheck, device)) {
      throw refuse(`${path} changed while it was being verified`);
    }
    return device;
  }
}

function kindOf(error: unknown): string {
  return error instanceof BallastError ? error.kind : "Internal";
}
