import assert from "node:assert/strict";
import { test } from "node:test";
import { loadProvider } from "../../src/providers/registry.js";

/** The chart's default controller replicas: every replica answers Probe, leader or not. */
const REPLICAS = 2;
const HOUR_MS = 3_600_000;

for (const name of ["ballast", "digitalocean", "hetzner"] as const) {
  test(`${name}: Probe's checks of the cloud take at most 5% of the driver's default request budget`, async () => {
    const provider = await loadProvider(name);
    const checksPerHour = (REPLICAS * HOUR_MS) / provider.readinessTtlMs;
    const budgetPerHour = provider.defaultQps * 3_600;
    assert.ok(
      checksPerHour <= budgetPerHour * 0.05,
      `${checksPerHour} checks an hour against a budget of ${budgetPerHour}`,
    );
  });
}
