import { basename, join } from "node:path";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { DeviceLocator } from "../providers/provider.js";
import { BallastError, failedPrecondition, invalidArgument, notFound } from "../shared/errors.js";
import type { Clock } from "./clock.js";
import { type BlockDevice, type DeviceNumbers, sameDevice } from "./device-numbers.js";
import type { Exec } from "./exec.js";
import type { HostFs } from "./host-fs.js";
import { scsiProof } from "./scsi-identity.js";
import type { StageRecords } from "./stage-records.js";
import { blockDeviceNumbers, type Sysfs } from "./sysfs.js";

/** What ControllerPublishVolume told the node about the volume's device. */
export interface DeviceHint {
  serial: string;
  byIdPath?: string;
}

export interface DeviceDiscoveryOptions {
  byIdDir: string;
  /** The provider's naming of device links, and which volume a link name stands for. */
  locator: DeviceLocator;
  host: HostFs;
  clock: Clock;
  sysfs: Sysfs;
  /** The publish contexts volumes were staged with, for calls that come without one. */
  records: StageRecords;
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
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1000;

/**
 * The ballast API's device serial of a volume (its id cut to what virtio carries), for callers
 * that build a hint without a publish context; discovery itself asks the provider's locator.
 */
export { ballastDeviceSerial as serialOfVolume } from "../providers/ballast/device-locator.js";

/**
 * Checks the publish context against the volume before anything looks at a device. Where the
 * provider derives the device serial from the volume id, the serial is required and must be the
 * volume's, and the hinted link must end in it; otherwise the serial is optional and only the
 * hinted path's form is checked.
 */
export function checkedDeviceHint(
  volumeId: string,
  publishContext: Readonly<Record<string, string>>,
  locator: DeviceLocator,
): DeviceHint {
  const serial = publishContext.serial ?? "";
  const expected = locator.deviceSerial?.(volumeId);
  if (expected !== undefined) {
    if (serial === "") throw invalidArgument("publish_context.serial is required");
    if (!SERIAL_PATTERN.test(serial)) {
      throw invalidArgument(`publish_context.serial: ${JSON.stringify(serial)} is not a device serial`);
    }
    if (serial !== expected) {
      throw invalidArgument(
        `publish_context.serial: ${JSON.stringify(serial)} is not the serial of volume ${volumeId} (expected ${JSON.stringify(expected)})`,
      );
    }
  }
  const byIdPath = publishContext.byIdPath;
  if (byIdPath === undefined || byIdPath === "") return { serial };
  const name = basename(byIdPath);
  if (
    !byIdPath.startsWith("/") ||
    name.includes("..") ||
    (expected !== undefined && !name.endsWith(serial))
  ) {
    throw invalidArgument(
      expected === undefined
        ? `publish_context.byIdPath: ${JSON.stringify(byIdPath)} is not an absolute by-id path`
        : `publish_context.byIdPath: ${JSON.stringify(byIdPath)} is not an absolute by-id path ending in serial ${serial}`,
    );
  }
  return { serial, byIdPath };
}

function publishContextOf(hint: DeviceHint): Record<string, string> {
  return hint.byIdPath === undefined
    ? { serial: hint.serial }
    : { serial: hint.serial, byIdPath: hint.byIdPath };
}

/**
 * Finds a volume's device under the by-id directory and proves it is that volume's before
 * anyone touches it. A link name alone proves nothing (anyone can point a link anywhere), so the
 * device itself must say whose it is:
 * - a virtio-blk device reports its serial (`/sys/dev/block/M:m/serial`), which must be the
 *   volume's serial; or
 * - a SCSI disk reports its INQUIRY vendor and model and the vendor-specific designator of VPD
 *   page 0x83 (what udev names `scsi-0<vendor>_<model>_<designator>` after), which must all be
 *   what the provider gives the volume (`DeviceLocator.scsiIdentity`); or
 * - a loop device (the reference cloud) is backed by a file whose name carries the volume id,
 *   a file not deleted since.
 * A device that says neither is refused. On top of that proof, nothing may contradict it: no other
 * by-id link naming a different serial or volume id may resolve to the same device, and the
 * cloud's own hint path, if it exists, must resolve to it too. A device that never appears is
 * NotFound, never a guess.
 */
export class DeviceDiscovery {
  constructor(private readonly options: DeviceDiscoveryOptions) {}

  /** Link paths, in the order they are tried: the provider's names for the volume and its hint. */
  candidateLinks(volumeId: string, hint: DeviceHint): string[] {
    const names = this.options.locator.linkNames(volumeId, publishContextOf(hint));
    return [...new Set(names)].map((name) => join(this.options.byIdDir, name));
  }

  /**
   * Waits up to the budget for a link that proves to be the volume's device. A link that is
   * missing, broken, or leads to a device that does not prove to be the volume's is not there yet:
   * udev removes an earlier attachment's link and makes this one's in its own time. Only when the
   * wait is over does what the last look found answer (its refusal, or NotFound for no link).
   */
  async find(volumeId: string, hint: DeviceHint): Promise<FoundDevice> {
    const { metrics, waitBudgetMs, clock } = this.options;
    const started = clock.now();
    const elapsed = () => (clock.now() - started) / 1000;
    const candidates = this.candidateLinks(volumeId, hint);
    let delay = FIRST_DELAY_MS;
    let triggered = false;
    let refused: BallastError | undefined;
    for (;;) {
      const look = await this.look(volumeId, hint, candidates).catch((error: unknown) => {
        throw this.waitFailed("mismatch", elapsed(), error);
      });
      if (look !== undefined && !(look instanceof BallastError)) {
        metrics.nodeDeviceWait.observe({ result: "found" }, elapsed());
        return look;
      }
      refused = look;
      if (!triggered) {
        triggered = true;
        await this.triggerUdev();
      }
      const remaining = waitBudgetMs - (clock.now() - started);
      if (remaining <= 0) break;
      await clock.sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
    if (refused !== undefined) throw this.waitFailed("mismatch", elapsed(), refused);
    throw this.waitFailed(
      "timeout",
      elapsed(),
      notFound(
        `device of volume ${volumeId}${serialNote(hint)} did not appear within ${waitBudgetMs} ms; looked for ${candidates.join(", ")}`,
      ),
    );
  }

  /**
   * One look at the candidate links, in order: the device of the first that proves to be the
   * volume's; otherwise why the first one there was refused, or undefined when none is there.
   */
  private async look(
    volumeId: string,
    hint: DeviceHint,
    candidates: string[],
  ): Promise<FoundDevice | BallastError | undefined> {
    let refused: BallastError | undefined;
    for (const link of candidates) {
      if ((await this.options.host.lstat(link)) === undefined) continue;
      try {
        return await this.verify(volumeId, hint, link);
      } catch (error) {
        if (!(error instanceof BallastError) || !["NotFound", "FailedPrecondition"].includes(error.kind))
          throw error;
        refused ??= error;
      }
    }
    return refused;
  }

  /** Counts a wait that ended without the device; answers the error it ends with. */
  private waitFailed(result: "mismatch" | "timeout", seconds: number, error: unknown): unknown {
    this.options.metrics.nodeDeviceWait.observe({ result }, seconds);
    this.options.metrics.nodeErrors.inc({ operation: "device_wait", kind: kindOf(error) });
    return error;
  }

  /**
   * The volume's device if its link exists right now and verifies; undefined when the link is
   * gone. Without a hinted path (expand, stats, unstage) the publish context the volume was staged
   * with stands in for it.
   */
  async findNow(volumeId: string, hint: DeviceHint): Promise<FoundDevice | undefined> {
    const known = await this.knownHint(volumeId, hint);
    const candidates = this.candidateLinks(volumeId, known);
    const link =
      candidates.length > 0 ? await this.firstExisting(candidates) : await this.provenLink(volumeId, known);
    return link === undefined ? undefined : this.verify(volumeId, known, link);
  }

  /**
   * Whether later calls without a publish context need the one this stage has: only where the
   * provider cannot name the volume's link from its id alone (DigitalOcean names it after the name).
   */
  needsStageRecord(volumeId: string): boolean {
    return this.options.locator.linkNames(volumeId, {}).length === 0;
  }

  private async knownHint(volumeId: string, hint: DeviceHint): Promise<DeviceHint> {
    if (hint.byIdPath !== undefined) return hint;
    return (await this.options.records.find(volumeId)) ?? hint;
  }

  /**
   * For a provider that names links after something only the publish context carries (DigitalOcean
   * names them after the volume's name), a call without one and without a record of the stage
   * looks at every link the provider recognises and takes the one whose device proves it is the
   * volume's (a loop device of the reference cloud can; a SCSI disk named after the volume's name
   * cannot, as nothing says which name is the volume's).
   */
  private async provenLink(volumeId: string, hint: DeviceHint): Promise<string | undefined> {
    const { host, byIdDir, locator } = this.options;
    for (const name of await host.readdir(byIdDir)) {
      if (locator.volumeOfLinkName(name) === undefined) continue;
      const link = join(byIdDir, name);
      const path = await host.realpath(link).catch(() => undefined);
      const numbers =
        path === undefined ? undefined : await blockDeviceNumbers(host, path).catch(() => undefined);
      if (numbers !== undefined && (await this.proofOf({ path, ...numbers }, volumeId, hint)) === undefined)
        return link;
    }
    return undefined;
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

  /**
   * Whether the device itself says it is this volume's (see the class comment); never by its
   * links. The publish context it is judged by is the one the volume was staged with.
   */
  async belongsTo(device: DeviceNumbers & { path?: string }, volumeId: string): Promise<boolean> {
    const hint = await this.knownHint(volumeId, { serial: "" });
    return (await this.proofOf(device, volumeId, hint)) === undefined;
  }

  /** Undefined when the device proves it is the volume's; otherwise why not. */
  private async proofOf(
    device: DeviceNumbers & { path?: string },
    volumeId: string,
    hint: DeviceHint,
  ): Promise<string | undefined> {
    const { sysfs, locator } = this.options;
    const name = device.path ?? `device ${device.major}:${device.minor}`;
    const reported = await sysfs.virtioSerial(device);
    if (reported !== undefined) {
      const serial = locator.deviceSerial?.(volumeId);
      if (serial === undefined)
        return `${name} reports serial ${JSON.stringify(reported)}, which this provider does not derive from volume ids`;
      return reported === serial ? undefined : `${name} reports serial ${JSON.stringify(reported)}`;
    }
    const scsi = await sysfs.scsiDisk(device);
    if (scsi !== undefined) {
      const unknownWhy =
        locator.scsiIdentity === undefined
          ? "this provider's volumes are no SCSI disks"
          : `nothing tells the SCSI identity of volume ${volumeId}: no publish context names it and this node has no record of staging it`;
      return scsiProof(
        name,
        volumeId,
        scsi,
        locator.scsiIdentity?.(volumeId, publishContextOf(hint)),
        unknownWhy,
      );
    }
    const backingFile = await sysfs.loopBackingFile(device);
    if (backingFile === undefined) {
      return `${name} gives no proof that it is this volume: it reports no serial and is no loop device backed by the volume's file`;
    }
    if (backingFile.endsWith(" (deleted)")) return `loop device ${name} is backed by a deleted file`;
    const file = basename(backingFile);
    if (carriesId(file, volumeId)) return undefined;
    const pattern = locator.volumeIdPattern;
    const named: string[] = pattern === undefined ? [] : (file.match(new RegExp(pattern.source, "g")) ?? []);
    return named.length > 0
      ? `loop device ${name} is backed by ${backingFile}, which belongs to ${named.join(", ")}`
      : `loop device ${name} is backed by ${backingFile}, whose name does not carry the volume id`;
  }

  private async verify(volumeId: string, hint: DeviceHint, link: string): Promise<FoundDevice> {
    const { host } = this.options;
    const refuse = (why: string) => refusal(volumeId, hint, link, why);
    const path = await host.realpath(link);
    if (path === undefined) throw notFound(`by-id link ${link} of volume ${volumeId} points at nothing`);
    if (!path.startsWith("/dev/")) throw refuse(`it resolves to ${path}, outside /dev`);
    const numbers = await blockDeviceNumbers(host, path);
    if (numbers === undefined) throw refuse(`${path} is not a block device`);
    const device: FoundDevice = { path, link, ...numbers };

    const proof = await this.proofOf(device, volumeId, hint);
    if (proof !== undefined) throw refuse(proof);

    const { locator } = this.options;
    const ours = new Set([volumeId, hint.serial]);
    for (const name of locator.linkNames(volumeId, publishContextOf(hint))) {
      const stands = locator.volumeOfLinkName(name);
      if (stands !== undefined) ours.add(stands);
    }
    for (const name of await host.readdir(this.options.byIdDir)) {
      const other = join(this.options.byIdDir, name);
      const otherVolume = locator.volumeOfLinkName(name);
      if (other === link || otherVolume === undefined || ours.has(otherVolume)) continue;
      const target = await host.realpath(other).catch(() => undefined);
      if (target === path) {
        throw refuse(`${path} is also linked as ${other}, the link of another volume (${otherVolume})`);
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

  /**
   * Proves again, right before `step` writes to or exposes the device find() proved, that its
   * kernel name is still that device and the device still the volume's: a detach of the volume
   * and the attach of another one in between can hand the name, and even its numbers, to another
   * disk. A stat and a few sysfs reads, so every step can afford it.
   */
  async reprove(volumeId: string, hint: DeviceHint, device: FoundDevice, step: string): Promise<void> {
    const now = await blockDeviceNumbers(this.options.host, device.path).catch(() => undefined);
    const found =
      now === undefined
        ? `${device.path} is no block device any more`
        : `${device.path} is device ${numbersOf(now)} now`;
    await this.confirm(volumeId, hint, device, `before ${step}`, now, found);
  }

  /**
   * Checks a mount `step` has just made of the device find() proved: mount(8) opened whatever the
   * kernel name was by then, so the mount must serve the proven numbers (`served`), which must
   * still prove to be the volume's.
   */
  async confirmMounted(
    volumeId: string,
    hint: DeviceHint,
    device: FoundDevice,
    step: string,
    served: DeviceNumbers | undefined,
  ): Promise<void> {
    const found = `the new mount serves ${served === undefined ? "no block device" : `device ${numbersOf(served)}`}`;
    await this.confirm(volumeId, hint, device, `while ${step}`, served, found);
  }

  private async confirm(
    volumeId: string,
    hint: DeviceHint,
    device: FoundDevice,
    when: string,
    numbers: DeviceNumbers | undefined,
    found: string,
  ): Promise<void> {
    const changed = (what: string) =>
      refusal(volumeId, hint, device.link, `${device.path} changed after it was proven, ${when}: ${what}`);
    if (numbers === undefined || !sameDevice(numbers, device))
      throw changed(`${found}, not ${numbersOf(device)}`);
    const proof = await this.proofOf(device, volumeId, hint);
    if (proof !== undefined) throw changed(proof);
  }
}

function refusal(volumeId: string, hint: DeviceHint, link: string, why: string): BallastError {
  return failedPrecondition(`refusing device for volume ${volumeId}${serialNote(hint)} at ${link}: ${why}`);
}

function numbersOf(device: DeviceNumbers): string {
  return `${device.major}:${device.minor}`;
}

/** Whether a backing file's name carries the volume id, not as part of a longer word (`<id>.img`). */
function carriesId(file: string, volumeId: string): boolean {
  const escaped = volumeId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^A-Za-z0-9])${escaped}($|[^A-Za-z0-9])`).test(file);
}

/** The serial for a message, when the provider has one (DigitalOcean and Hetzner disks do not). */
function serialNote(hint: DeviceHint): string {
  return hint.serial === "" ? "" : ` (serial ${hint.serial})`;
}

function kindOf(error: unknown): string {
  return error instanceof BallastError ? error.kind : "Internal";
}
