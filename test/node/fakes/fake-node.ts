import { randomBytes } from "node:crypto";
import { basename, join } from "node:path";
import { serialOfVolume } from "../../../src/node/device-discovery.js";
import type { FsType } from "../../../src/node/filesystem-type.js";
import type { StageVolumeRequest } from "../../../src/node/node-requests.js";
import { createNodeService, type NodeService } from "../../../src/node/node-service.js";
import { createLogger } from "../../../src/observability/logger.js";
import { Metrics } from "../../../src/observability/metrics.js";
import { FakeClock } from "./fake-clock.js";
import type { FakeDevice } from "./fake-devices.js";
import { FakeDisk } from "./fake-disk.js";
import { FakeExec } from "./fake-exec.js";
import {
  type AttachOptions,
  FAKE_BY_ID_DIR,
  FAKE_MOUNTINFO,
  FAKE_SYSFS_ROOT,
  FakeHost,
} from "./fake-host.js";

export const MiB = 1024n * 1024n;
export const GiB = 1024n * MiB;
export const FAKE_STATE_DIR = "/var/lib/ballast";
export const FAKE_NODE_IDENTITY = { nodeId: "i-0123456789abcdef", zone: "zone-a", maxVolumesPerNode: 20 };

/** A volume the fake cloud attached: its disk, the device it shows up as, and its by-id link. */
export interface FakeVolume {
  volumeId: string;
  disk: FakeDisk;
  device: FakeDevice;
  link: string;
}

export function newVolumeId(): string {
  return `vol-${randomBytes(8).toString("hex")}`;
}

/**
 * A node plugin wired to a fake host: the real NodeService and its decisions, with every file
 * call, program and wait answered by fakes. UUIDs are handed out in order, so tests can name them.
 */
export class FakeNodeWorld {
  readonly host = new FakeHost();
  readonly exec = new FakeExec(this.host);
  readonly clock = new FakeClock();
  readonly metrics = new Metrics({ defaultMetrics: false });
  readonly uuids: string[] = [];
  service!: NodeService;

  static async create(options: { deviceWaitMs?: number } = {}): Promise<FakeNodeWorld> {
    const world = new FakeNodeWorld();
    world.service = await createNodeService({
      exec: world.exec,
      logger: createLogger("silent"),
      metrics: world.metrics,
      identity: FAKE_NODE_IDENTITY,
      byIdDir: FAKE_BY_ID_DIR,
      stateDir: FAKE_STATE_DIR,
      deviceWaitMs: options.deviceWaitMs ?? 1000,
      udevadmPath: null,
      mountInfoPath: FAKE_MOUNTINFO,
      sysfsRoot: FAKE_SYSFS_ROOT,
      host: world.host,
      clock: world.clock,
      newUuid: () => world.nextUuid(),
    });
    return world;
  }

  private nextUuid(): string {
    const uuid = `00000000-0000-4000-8000-${String(this.uuids.length + 1).padStart(12, "0")}`;
    this.uuids.push(uuid);
    return uuid;
  }

  /** A blank (all zeros) disk attached as a virtio device reporting the volume's serial. */
  attachVolume(sizeBytes = 8n * MiB, volumeId = newVolumeId()): FakeVolume {
    return this.attachDisk(new FakeDisk(sizeBytes), volumeId);
  }

  /**
   * Attaches an existing disk, as the cloud does after a detach: a new device (the next name and
   * numbers unless `at` gives them), the same content.
   */
  attachDisk(disk: FakeDisk, volumeId: string, at: Pick<AttachOptions, "name" | "numbers"> = {}): FakeVolume {
    const serial = serialOfVolume(volumeId);
    const link = `virtio-${serial}`;
    const device = this.host.attach(disk, { ...at, serial, links: [link] });
    return { volumeId, disk, device, link: join(FAKE_BY_ID_DIR, link) };
  }

  /**
   * A force-detach of `volume` and the attach of another volume (holding `disk`) that follows it:
   * the newcomer gets the same device name and, unless `numbers` says otherwise, the same numbers,
   * as virtio and SCSI hand a freed index out again.
   */
  replaceDevice(
    volume: FakeVolume,
    disk = new FakeDisk(volume.disk.sizeBytes),
    numbers: AttachOptions["numbers"] = volume.device,
  ): FakeVolume {
    this.host.detach(volume.device);
    return this.attachDisk(disk, newVolumeId(), { name: basename(volume.device.path), numbers });
  }

  /** The file where the format journal keeps a volume's record. */
  journalFile(volumeId: string): string {
    return join(FAKE_STATE_DIR, "formats", `${volumeId}.format.json`);
  }
}

export function stagingPathOf(volumeId: string): string {
  return `/var/lib/kubelet/plugins/kubernetes.io/csi/ballast/${volumeId}/globalmount`;
}

export function targetPathOf(volumeId: string, pod = "pod-1"): string {
  return `/var/lib/kubelet/pods/${pod}/volumes/kubernetes.io~csi/${volumeId}/mount`;
}

export function stageRequest(
  volume: FakeVolume,
  fsType: FsType = "ext4",
  overrides: Partial<StageVolumeRequest> = {},
): StageVolumeRequest {
  return {
    volumeId: volume.volumeId,
    stagingPath: stagingPathOf(volume.volumeId),
    hint: { serial: serialOfVolume(volume.volumeId), byIdPath: volume.link },
    access: { kind: "mount", fsType, mountOptions: [] },
    readOnly: false,
    sharedReadOnly: false,
    mkfsOptions: {},
    ...overrides,
  };
}

export function publishRequest(volume: FakeVolume, fsType: FsType = "ext4", readOnly = false) {
  return {
    volumeId: volume.volumeId,
    stagingPath: stagingPathOf(volume.volumeId),
    targetPath: targetPathOf(volume.volumeId),
    hint: { serial: serialOfVolume(volume.volumeId), byIdPath: volume.link },
    access: { kind: "mount" as const, fsType, mountOptions: [] },
    readOnly,
    singleWriter: false,
  };
}

/** A fresh volume attached to the world's node and staged there, as ext4. */
export async function stagedVolume(world: FakeNodeWorld): Promise<FakeVolume> {
  const volume = world.attachVolume();
  await world.service.stageVolume(stageRequest(volume));
  return volume;
}

/** A fresh volume staged and then published at its target path. */
export async function publishedVolume(world: FakeNodeWorld): Promise<FakeVolume> {
  const volume = await stagedVolume(world);
  await world.service.publishVolume(publishRequest(volume));
  return volume;
}
