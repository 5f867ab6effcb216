import assert from "node:assert/strict";
import { test } from "node:test";
import {
  PluginCapability_Service_Type,
  PluginCapability_VolumeExpansion_Type,
} from "../../src/generated/csi.js";
import { forEachFace } from "./faces.js";
import { DRIVER_NAME, repeat } from "./fixtures.js";
import { useDevSystem } from "./harness.js";

forEachFace("Identity service over the dev socket", (face) => {
  const system = useDevSystem({ face });

  test("GetPluginInfo names the driver and a vendor version", async () => {
    const info = await system().csi.identity.getPluginInfo();
    assert.equal(info.name, DRIVER_NAME);
    assert.match(info.vendorVersion, /^\d+\.\d+\.\d+/);
  });

  test("GetPluginInfo answers the same ten times in a row", async () => {
    const answers = await repeat(10, () => system().csi.identity.getPluginInfo());
    assert.equal(new Set(answers.map((answer) => JSON.stringify(answer))).size, 1);
  });

  test("GetPluginCapabilities advertises the controller, topology and online expansion", async () => {
    const { capabilities } = await system().csi.identity.getPluginCapabilities();
    const services = capabilities.flatMap((capability) =>
      capability.type?.$case === "service" ? [capability.type.value.type] : [],
    );
    const expansion = capabilities.flatMap((capability) =>
      capability.type?.$case === "volumeExpansion" ? [capability.type.value.type] : [],
    );
    assert.ok(services.includes(PluginCapability_Service_Type.CONTROLLER_SERVICE));
    assert.ok(services.includes(PluginCapability_Service_Type.VOLUME_ACCESSIBILITY_CONSTRAINTS));
    assert.ok(expansion.includes(PluginCapability_VolumeExpansion_Type.ONLINE));
  });

  test("Probe reports ready once the dev system printed ready", async () => {
    const probe = await system().csi.identity.probe();
    assert.equal(probe.ready, true);
  });
});
