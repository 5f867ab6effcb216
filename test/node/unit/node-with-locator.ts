import { createNodeService, type NodeService } from "../../../src/node/node-service.js";
import { createLogger } from "../../../src/observability/logger.js";
import { Metrics } from "../../../src/observability/metrics.js";
import type { DeviceLocator } from "../../../src/providers/provider.js";
import { FakeClock } from "../fakes/fake-clock.js";
import { FakeExec } from "../fakes/fake-exec.js";
import { FAKE_BY_ID_DIR, FAKE_MOUNTINFO, FAKE_SYSFS_ROOT, type FakeHost } from "../fakes/fake-host.js";
import { FAKE_NODE_IDENTITY, FAKE_STATE_DIR, stagingPathOf } from "../fakes/fake-node.js";

/**
 * A node plugin on `host` that finds devices the way a provider's `deviceLocator` names them. Each
 * call is a fresh plugin over the same host, as after a restart.
 */
export async function nodeWithLocator(
  host: FakeHost,
  deviceLocator: DeviceLocator,
): Promise<{ service: NodeService; exec: FakeExec }> {
  const exec = new FakeExec(host);
  const service = await createNodeService({
    exec,
    logger: createLogger("silent"),
    metrics: new Metrics({ defaultMetrics: false }),
    identity: FAKE_NODE_IDENTITY,
    deviceLocator,
    byIdDir: FAKE_BY_ID_DIR,
    stateDir: FAKE_STATE_DIR,
    deviceWaitMs: 1000,
    udevadmPath: null,
    mountInfoPath: FAKE_MOUNTINFO,
    sysfsRoot: FAKE_SYSFS_ROOT,
    host,
    clock: new FakeClock(),
    newUuid: () => "00000000-0000-4000-8000-000000000001",
  });
  return { service, exec };
}

/** Stages `volumeId` as ext4 at its staging path, with the device hint the publish context gives. */
export function stageWithContext(
  service: NodeService,
  volumeId: string,
  publishContext: Record<string, string>,
) {
  return service.stageVolume({
    volumeId,
    stagingPath: stagingPathOf(volumeId),
    hint: service.deviceHint(volumeId, publishContext),
    access: { kind: "mount", fsType: "ext4", mountOptions: [] },
    readOnly: false,
    sharedReadOnly: false,
    mkfsOptions: {},
  });
}
