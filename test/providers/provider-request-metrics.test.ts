import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Metrics } from "../../src/observability/metrics.js";
import { metricValue } from "../cloud/scripted-server.js";
import { FakeDigitalOcean, refuse as refuseDigitalOcean } from "./digitalocean-fake-api.js";
import { FakeHetzner, refuse as refuseHetzner } from "./hetzner-fake-api.js";

const soon = () => ({ deadline: Date.now() + 10_000 });

/** Every sample of ballast_cloud_requests_total as `status` → count. */
async function requestsByStatus(metrics: Metrics): Promise<Record<string, number>> {
  const data = await metrics.registry.getSingleMetric("ballast_cloud_requests_total")?.get();
  const counts: Record<string, number> = {};
  for (const sample of data?.values ?? []) {
    const status = String(sample.labels.status);
    counts[status] = (counts[status] ?? 0) + sample.value;
  }
  return counts;
}

describe("the cloud requests of DigitalOcean and Hetzner are labelled with their answer's status", () => {
  test("DigitalOcean: a 404 is counted under status 404", async () => {
    const fake = await FakeDigitalOcean.start();
    const metrics = new Metrics({ defaultMetrics: false });
    const client = fake.client({ metrics });
    try {
      await assert.rejects(client.getVolume("0a0a0a0a-0000-4000-8000-000000000000", soon()));
      assert.deepEqual(await requestsByStatus(metrics), { "404": 1 });
    } finally {
      await client.close();
      await fake.close();
    }
  });

  test("DigitalOcean: a 429 is counted under status 429 and as a throttle", async () => {
    const fake = await FakeDigitalOcean.start();
    fake.interceptors = [
      refuseDigitalOcean((r) => r.method === "GET", 429, "too_many_requests", "API rate limit exceeded", {
        count: 1,
        headers: { "ratelimit-reset": String(Math.floor(Date.now() / 1000)) },
      }),
    ];
    const volume = fake.addVolume({ name: "pvc-a" });
    const metrics = new Metrics({ defaultMetrics: false });
    const client = fake.client({ metrics });
    try {
      await client.getVolume(volume.id as string, soon());
      assert.deepEqual(await requestsByStatus(metrics), { "429": 1, "200": 1 });
      assert.equal(await metricValue(metrics, "ballast_cloud_throttled_total"), 1);
    } finally {
      await client.close();
      await fake.close();
    }
  });

  test("Hetzner: a 404 is counted under status 404", async () => {
    const fake = await FakeHetzner.start();
    const metrics = new Metrics({ defaultMetrics: false });
    const client = fake.client({ metrics });
    try {
      await assert.rejects(client.getVolume(4711, soon()));
      assert.deepEqual(await requestsByStatus(metrics), { "404": 1 });
    } finally {
      await client.close();
      await fake.close();
    }
  });

  test("Hetzner: 429s are counted under status 429, each as a throttle", async () => {
    const fake = await FakeHetzner.start();
    fake.interceptors = [
      refuseHetzner(
        (r) => r.method === "GET",
        429,
        "rate_limit_exceeded",
        "limit of 3600 requests per hour reached",
      ),
    ];
    const metrics = new Metrics({ defaultMetrics: false });
    const client = fake.client({ metrics });
    try {
      await assert.rejects(client.getVolume(4711, soon()));
      const counts = await requestsByStatus(metrics);
      assert.deepEqual(Object.keys(counts), ["429"]);
      assert.equal(await metricValue(metrics, "ballast_cloud_throttled_total"), counts["429"]);
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
