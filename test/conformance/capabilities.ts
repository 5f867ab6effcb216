import type { TestContext } from "node:test";
import {
  ControllerServiceCapability_RPC_Type as ControllerCapability,
  PluginCapability_Service_Type as ServiceType,
} from "../../src/generated/csi.js";
import type { DevSystem } from "./harness.js";

export { ControllerCapability, ServiceType };

export interface Advertised {
  controller: ReadonlySet<ControllerCapability>;
  services: ReadonlySet<ServiceType>;
}

const asked = new WeakMap<DevSystem, Promise<Advertised>>();

/** What the driver says it can do, asked once per dev system: the only thing a spec's skip rests on. */
export function advertised(system: DevSystem): Promise<Advertised> {
  let answer = asked.get(system);
  if (answer === undefined) {
    answer = (async () => {
      const [controller, plugin] = await Promise.all([
        system.csi.controller.controllerGetCapabilities({}),
        system.csi.identity.getPluginCapabilities({}),
      ]);
      return {
        controller: new Set(
          controller.capabilities.flatMap((c) => (c.type?.$case === "rpc" ? [c.type.value.type] : [])),
        ),
        services: new Set(
          plugin.capabilities.flatMap((c) => (c.type?.$case === "service" ? [c.type.value.type] : [])),
        ),
      };
    })();
    asked.set(system, answer);
  }
  return answer;
}

/**
 * True when the driver advertises every one of these controller capabilities; otherwise the test
 * is skipped naming the first one missing, as csi-sanity skips specs of unadvertised capabilities.
 */
export async function requireController(
  t: TestContext,
  system: DevSystem,
  ...capabilities: ControllerCapability[]
): Promise<boolean> {
  const { controller } = await advertised(system);
  const missing = capabilities.find((capability) => !controller.has(capability));
  if (missing === undefined) return true;
  t.skip(`the driver does not advertise ${ControllerCapability[missing]}`);
  return false;
}

/** The same for plugin services (GROUP_CONTROLLER_SERVICE, VOLUME_ACCESSIBILITY_CONSTRAINTS). */
export async function requireService(
  t: TestContext,
  system: DevSystem,
  service: ServiceType,
): Promise<boolean> {
  const { services } = await advertised(system);
  if (services.has(service)) return true;
  t.skip(`the driver does not advertise ${ServiceType[service]}`);
  return false;
}
