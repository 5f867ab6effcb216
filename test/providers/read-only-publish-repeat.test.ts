import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ControllerService } from "../../src/controller/controller-service.js";
import { publishVolume } from "../../src/controller/publish-operations.js";
import {
  ControllerPublishVolumeRequest,
  VolumeCapability_AccessMode_Mode as Mode,
} from "../../src/generated/csi.js";
import { digitalOceanProvider } from "../../src/providers/digitalocean/index.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import type { FakeDigitalOcean } from "./digitalocean-fake-api.js";

/** A static PV's publish: no volumeType in its context, so the volume is read before the attach. */
function readOnlyPublish(volumeId: string, nodeId: string): ControllerPublishVolumeRequest {
  return ControllerPublishVolumeRequest.fromPartial({
    volumeId,
    nodeId,
    readonly: true,
    volumeCapability: {
      accessMode: { mode: Mode.SINGLE_NODE_READER_ONLY },
      accessType: { $case: "mount", value: { fsType: "ext4", mountFlags: [], volumeMountGroup: "" } },
    },
    volumeContext: {},
  });
}

describe("a read-only publish on a cloud without read-only attachments (DigitalOcean)", () => {
  let fake: FakeDigitalOcean;
  let service: ControllerService;
  beforeEach(async () => {
    const started = await startDigitalOceanAdapter({ droplets: [11] });
    fake = started.fake;
    service = new ControllerService({
      cloud: started.storage,
      provider: digitalOceanProvider,
      driverName: "block.csi.ballast.dev",
    });
  });
  afterEach(() => stopDigitalOceanAdapter(fake));

  test("repeated, answers the same publish context instead of AlreadyExists", async () => {
    const volume = fake.addVolume({ name: "pv-static" });
    const options = () => ({ deadline: Date.now() + 30_000 });
    const first = await publishVolume(service.context, readOnlyPublish(volume.id as string, "11"), options());
    const again = await publishVolume(service.context, readOnlyPublish(volume.id as string, "11"), options());
    assert.deepEqual(again, first);
    assert.deepEqual(fake.volumes.get(volume.id as string)?.droplet_ids, [11]);
  });
});
