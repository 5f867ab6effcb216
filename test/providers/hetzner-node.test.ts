import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { hetznerProvider } from "../../src/providers/hetzner/index.js";
import { hetznerNodeIdentity, zoneOfAvailabilityZone } from "../../src/providers/hetzner/node-identity.js";

/** A metadata service on 127.0.0.1 answering `paths`, 404 elsewhere. */
async function metadataService(paths: Record<string, string>) {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url ?? "");
    const body = paths[req.url ?? ""];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "text/plain" });
    res.end(body ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, asked, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

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
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
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
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
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
