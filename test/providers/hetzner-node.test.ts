import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { instanceLookup } from "../../src/cli/cloud-lookups.js";
import { resolveNodeIdentity } from "../../src/node/node-identity.js";
import { hetznerProvider } from "../../src/providers/hetzner/index.js";
import { hetznerNodeIdentity, zoneOfAvailabilityZone } from "../../src/providers/hetzner/node-identity.js";
import { startHetznerAdapter } from "./adapter-over-fake.js";
import { metadataService, silentMetadataService } from "./metadata-service.js";

describe("Hetzner provider: node side", () => {
  test("the server id and the location come from the metadata service, fsn1-dc14 cut to fsn1", async () => {
    const service = await metadataService({
      "/hetzner/v1/metadata/instance-id": "4711\n",
      "/hetzner/v1/metadata/availability-zone": "fsn1-dc14",
    });
    try {
      const identity = await hetznerProvider.nodeIdentity?.(service.url).discover();
      assert.deepEqual(identity, { instanceId: "4711", zone: "fsn1" });
      assert.deepEqual(service.asked.sort(), [
        "/hetzner/v1/metadata/availability-zone",
        "/hetzner/v1/metadata/instance-id",
      ]);
    } finally {
      await service.close();
    }
  });

  test("datacenters of every location cut to the location", () => {
    assert.deepEqual(
      ["nbg1-dc3", "hel1-dc2", "ash-dc1", "hil-dc1", "sin-dc1", "fsn1", "FSN1-dc1"].map(
        zoneOfAvailabilityZone,
      ),
      ["nbg1", "hel1", "ash", "hil", "sin", "fsn1", undefined],
    );
  });

  test("a metadata answer that is no datacenter is an error naming the URL and the value", async () => {
    const service = await metadataService({
      "/hetzner/v1/metadata/instance-id": "4711",
      "/hetzner/v1/metadata/availability-zone": "moon base",
    });
    try {
      await assert.rejects(hetznerNodeIdentity(service.url).discover(), {
        kind: "Unavailable",
        message: `Hetzner Cloud metadata ${service.url}/hetzner/v1/metadata/availability-zone: "moon base" is not a datacenter such as fsn1-dc14`,
      });
    } finally {
      await service.close();
    }
  });

  test("a metadata service that does not answer in time is an error naming the URL", async () => {
    const silent = await silentMetadataService();
    const { url } = silent;
    try {
      await assert.rejects(hetznerNodeIdentity(url, { timeoutMs: 100 }).discover(), (error: Error) => {
        assert.match(
          error.message,
          new RegExp(
            `^Hetzner Cloud metadata ${url}/hetzner/v1/metadata/(instance-id|availability-zone): no answer within 100 ms`,
          ),
        );
        return true;
      });
    } finally {
      await silent.close();
    }
  });

  test("--node-id alone: the location and free slots come from the server read by id, the metadata service is not asked", async () => {
    const { fake, storage } = await startHetznerAdapter();
    const metadata = await metadataService({
      "/hetzner/v1/metadata/instance-id": "1",
      "/hetzner/v1/metadata/availability-zone": "fsn1-dc14",
    });
    try {
      const data = fake.addVolume({ name: "someone-elses", server: 4711 });
      fake.addServer(4711, "nbg1", [data.id]);
      const identity = await resolveNodeIdentity({
        nodeName: "worker-1",
        nodeId: "4711",
        source: hetznerProvider.nodeIdentity?.(metadata.url),
        defaultMaxVolumes: hetznerProvider.maxVolumesPerInstance,
        lookup: instanceLookup(storage, hetznerProvider, "block.csi.ballast.dev"),
        reportStandardZoneKey: false,
      });
      assert.deepEqual(identity, {
        nodeId: "4711",
        zone: "nbg1",
        maxVolumesPerNode: 15,
        topology: { "topology.block.csi.ballast.dev/zone": "nbg1" },
      });
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.path}`),
        ["GET /servers/4711", `GET /volumes/${data.id}`],
      );
      assert.deepEqual(metadata.asked, []);
    } finally {
      await metadata.close();
      await fake.close();
    }
  });

  test("the device link is scsi-0HC_Volume_<id>, and such a link names its volume", () => {
    const locator = hetznerProvider.deviceLocator;
    assert.deepEqual(locator.linkNames("4711", {}), ["scsi-0HC_Volume_4711"]);
    assert.equal(locator.volumeOfLinkName("scsi-0HC_Volume_4711"), "4711");
    assert.equal(locator.volumeOfLinkName("scsi-0DO_Volume_pvc-1"), undefined);
  });

  test("the provider advertises create, delete, attach, detach and expand only, 16 volumes a server", () => {
    assert.deepEqual(
      Object.entries(hetznerProvider.capabilities).filter(([, on]) => on),
      [],
    );
    assert.equal(hetznerProvider.maxVolumesPerInstance, 16);
    assert.ok(hetznerProvider.defaultQps * 3600 < 3600);
  });
});
