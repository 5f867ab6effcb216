import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { instanceLookup } from "../../src/cli/cloud-lookups.js";
import { resolveNodeIdentity } from "../../src/node/node-identity.js";
import { digitalOceanProvider } from "../../src/providers/digitalocean/index.js";
import { digitalOceanNodeIdentity } from "../../src/providers/digitalocean/node-identity.js";
import { loadProvider } from "../../src/providers/registry.js";
import { startDigitalOceanAdapter, stopDigitalOceanAdapter } from "./adapter-over-fake.js";
import { metadataService, silentMetadataService } from "./metadata-service.js";

describe("DigitalOcean provider: node side", () => {
  test("the droplet id and the region come from /metadata/v1/id and /metadata/v1/region", async () => {
    const service = await metadataService({ "/metadata/v1/id": "3164494\n", "/metadata/v1/region": "nyc3" });
    try {
      const identity = await digitalOceanProvider.nodeIdentity?.(`${service.url}/`).discover();
      assert.deepEqual(identity, { instanceId: "3164494", zone: "nyc3" });
      assert.deepEqual(service.asked.sort(), ["/metadata/v1/id", "/metadata/v1/region"]);
    } finally {
      await service.close();
    }
  });

  test("a metadata answer that is no droplet id is an error naming the URL and the value", async () => {
    const service = await metadataService({ "/metadata/v1/id": "droplet-1", "/metadata/v1/region": "nyc3" });
    try {
      await assert.rejects(digitalOceanNodeIdentity(service.url).discover(), {
        kind: "Unavailable",
        message: `DigitalOcean metadata ${service.url}/metadata/v1/id: "droplet-1" is not a droplet id`,
      });
    } finally {
      await service.close();
    }
  });

  test("a metadata answer that is no region is an error naming the URL and the value", async () => {
    const service = await metadataService({
      "/metadata/v1/id": "3164494",
      "/metadata/v1/region": "New York 3",
    });
    try {
      await assert.rejects(digitalOceanNodeIdentity(service.url).discover(), {
        kind: "Unavailable",
        message: `DigitalOcean metadata ${service.url}/metadata/v1/region: "New York 3" is not a region such as nyc1`,
      });
    } finally {
      await service.close();
    }
  });

  test("a metadata service that does not answer in time is an error naming the URL and the flags", async () => {
    const silent = await silentMetadataService();
    const { url } = silent;
    try {
      await assert.rejects(digitalOceanNodeIdentity(url, { timeoutMs: 100 }).discover(), (error: Error) => {
        assert.match(
          error.message,
          new RegExp(
            `^DigitalOcean metadata ${url}/metadata/v1/(id|region): no answer within 100 ms \\(is this a DigitalOcean droplet\\? else set --node-id and --zone\\)$`,
          ),
        );
        return true;
      });
    } finally {
      await silent.close();
    }
  });

  test("--node-id alone: the region and free slots come from the droplet read by id, the metadata service is not asked", async () => {
    const { fake, storage } = await startDigitalOceanAdapter();
    const metadata = await metadataService({ "/metadata/v1/id": "1", "/metadata/v1/region": "nyc1" });
    try {
      const data = fake.addVolume({ name: "someone-elses" });
      fake.addDroplet(3164494, "nyc3");
      fake.attach(data, 3164494);
      const identity = await resolveNodeIdentity({
        nodeName: "worker-1",
        nodeId: "3164494",
        source: digitalOceanProvider.nodeIdentity?.(metadata.url),
        defaultMaxVolumes: digitalOceanProvider.maxVolumesPerInstance,
        lookup: instanceLookup(storage, digitalOceanProvider, "block.csi.ballast.dev"),
        reportStandardZoneKey: false,
      });
      assert.deepEqual(identity, {
        nodeId: "3164494",
        zone: "nyc3",
        maxVolumesPerNode: 6,
        topology: { "topology.block.csi.ballast.dev/zone": "nyc3" },
      });
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.path}`),
        ["GET /v2/droplets/3164494", `GET /v2/volumes/${data.id}`],
      );
      assert.deepEqual(metadata.asked, []);
    } finally {
      await metadata.close();
      await stopDigitalOceanAdapter(fake);
    }
  });

  test("the device link is scsi-0DO_Volume_<volume name>, taken from the publish context", () => {
    const locator = digitalOceanProvider.deviceLocator;
    const context = { serial: "", byIdPath: "/dev/disk/by-id/scsi-0DO_Volume_pvc-1" };
    assert.deepEqual(locator.linkNames("0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11", context), [
      "scsi-0DO_Volume_pvc-1",
    ]);
    assert.equal(locator.volumeOfLinkName("scsi-0DO_Volume_pvc-1"), "pvc-1");
    assert.equal(locator.volumeOfLinkName("scsi-0HC_Volume_4711"), undefined);
    assert.equal(locator.deviceSerial, undefined);
  });

  test("a publish context without a DigitalOcean link gives no link to look for", () => {
    const locator = digitalOceanProvider.deviceLocator;
    assert.deepEqual(
      [
        locator.linkNames("v", {}),
        locator.linkNames("v", { byIdPath: "/dev/disk/by-id/virtio-vol-1" }),
        locator.linkNames("v", { byIdPath: "/tmp/scsi-0DO_Volume_pvc-1" }),
        locator.linkNames("v", { byIdPath: "/dev/disk/by-id/scsi-0DO_Volume_../../sda" }),
      ],
      [[], [], [], []],
    );
  });

  test("snapshots, listing them and clones (made from snapshots) are advertised, nothing else beyond the basics; 7 volumes a droplet", () => {
    assert.deepEqual(
      Object.entries(digitalOceanProvider.capabilities)
        .filter(([, on]) => on)
        .map(([name]) => name),
      ["snapshots", "listSnapshots", "clones"],
    );
    assert.equal(digitalOceanProvider.maxVolumesPerInstance, 7);
  });

  test("the default request rate stays under 5,000 an hour and 250 a minute", () => {
    const { defaultQps, defaultBurst } = digitalOceanProvider;
    assert.ok(defaultQps * 3600 + defaultBurst < 5000);
    assert.ok(defaultQps * 60 + defaultBurst < 250);
  });

  test("--cloud-provider digitalocean loads this provider", async () => {
    assert.equal(await loadProvider("digitalocean"), digitalOceanProvider);
  });
});
