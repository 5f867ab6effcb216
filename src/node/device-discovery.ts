import { basename, join } from "node:path";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { BallastError, failedPrecondition, invalidArgument, notFound } from "../shared/errors.js";
import type { Clock } from "./clock.js";
import { type BlockDevice, type DeviceNumbers, sameDevice } from "./device-numbers.js";
import type { Exec } from "./exec.js";
import type { HostFs } from "./host-fs.js";
import { blockDeviceNumbers, type Sysfs } from "./sysfs.js";

/** What ControllerPublishVolume told the node about the volume's device. */
export interface DeviceHint {
  serial: string;
  byIdPath?: string;
}

export interface DeviceDiscoveryOptions {
  byIdDir: string;
  host: HostFs;
  clock: Clock;
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

/**
 * Finds a volume's device under the by-id directory and proves it is that volume's before
 * anyone touches it. A link name alone proves nothing (anyone can point a link anywhere), so the
 * device itself must say whose it is:
 * - a virtio-blk device reports its serial (`/sys/dev/block/M:m/serial`), which must be the
 *   volume's serial; or
 * - a loop device (the reference cloud) is backed by a file whose name carries the volume id,
 *   a file not deleted since.
 * A device that says neither is refused. On top of that proof, nothing may contradict it: no other
 * by-id link naming a different serial or volume id may resolve to the same device, and the
 * cloud's own hint path, if it exists, must resolve to it too. A device that never appears is
 * NotFound, never a guess.
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
    const { metrics, waitBudgetMs, clock } = this.options;
    const started = clock.now();
    const elapsed = () => (clock.now() - started) / 1000;
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
      const remaining = waitBudgetMs - (clock.now() - started);
      if (remaining <= 0) break;
      await clock.sleep(Math.min(delay, remaining));
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
      if ((await this.options.host.lstat(link)) !== undefined) return link;
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

  /** Whether the device itself says it is this volume's (see the class comment); never by its links. */
  async belongsTo(device: DeviceNumbers & { path?: string }, volumeId: string): Promise<boolean> {
    return (await this.proofOf(device, volumeId, serialOfVolume(volumeId))) === undefined;
  }

  /** Undefined when the device proves it is the volume's; otherwise why not. */
  private async proofOf(
    device: DeviceNumbers & { path?: string },
    volumeId: string,
    serial: string,
  ): Promise<string | undefined> {
    const { sysfs } = this.options;
    const name = device.path ?? `device ${device.major}:${device.minor}`;
    const reported = await sysfs.virtioSerial(device);
    if (reported !== undefined) {
      return reported === serial ? undefined : `${name} reports serial ${JSON.stringify(reported)}`;
    }
    const backingFile = await sysfs.loopBackingFile(device);
    if (backingFile === undefined) {
      return `${name} gives no proof that it is this volume: it reports no serial and is no loop device backed by the volume's file`;
    }
    if (backingFile.endsWith(" (deleted)")) return `loop device ${name} is backed by a deleted file`;
    const named: string[] = basename(backingFile).match(VOLUME_ID_PATTERN) ?? [];
    if (named.includes(volumeId)) return undefined;
    return named.length > 0
      ? `loop device ${name} is backed by ${backingFile}, which belongs to ${named.join(", ")}`
      : `loop device ${name} is backed by ${backingFile}, whose name does not carry the volume id`;
  }

  private async verify(volumeId: string, hint: DeviceHint, link: string): Promise<FoundDevice> {
    const { host } = this.options;
    const refuse = (why: string) =>
      failedPrecondition(`refusing device for volume ${volumeId} (serial ${hint.serial}) at ${link}: ${why}`);
    const path = await host.realpath(link);
    if (path === undefined) throw notFound(`by-id link ${link} of volume ${volumeId} points at nothing`);
    if (!path.startsWith("/dev/")) throw refuse(`it resolves to ${path}, outside /dev`);
    const numbers = await blockDeviceNumbers(host, path);
    if (numbers === undefined) throw refuse(`${path} is not a block device`);
    const device: FoundDevice = { path, link, ...numbers };

    const proof = await this.proofOf(device, volumeId, serialOfVolume(volumeId));
    if (proof !== undefined) throw refuse(proof);

    for (const name of await host.readdir(this.options.byIdDir)) {
      const other = join(this.options.byIdDir, name);
      const otherSerial = serialInLinkName(name);
      if (other === link || otherSerial === undefined || otherSerial === hint.serial) continue;
      if (otherSerial === volumeId) continue;
      const target = await host.realpath(other).catch(() => undefined);
      if (target === path) {
        throw refuse(`${path} is also linked as ${other}, the serial of another volume (${otherSerial})`);
      }
    }

    if (hint.byIdPath !== undefined && hint.byIdPath !== link) {
      const hinted = await host.realpath(hint.byIdPath).catch(() => undefined);
      if (hinted !== undefined && hinted !== path) {
        throw refuse(`the cloud's hint ${hint.byIdPath} resolves to ${hinted}, not ${path}`);
      }
    }

    const recheck = await blockDeviceNumbers(host, path).catch(() => undefined);
    if (recheck === undefined || !sameDevice(recheck, device)) {
      throw refuse(`${path} changed while it was being verified`);
    }
    return device;
  }
}

function kindOf(error: unknown): string {
  return error instanceof BallastError ? error.kind : "Internal";
}
