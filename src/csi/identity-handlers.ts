import {
  PluginCapability_VolumeExpansion_Type as ExpansionType,
  type IdentityServer,
  type PluginCapability,
  PluginCapability_Service_Type as ServiceType,
} from "../generated/csi.js";
import { unary } from "./unary.js";

export interface IdentityOptions {
  driverName: string;
  vendorVersion: string;
  /** True when this process serves the Controller service. */
  controller: boolean;
  /** True when it also serves the GroupController service (the provider takes group snapshots). */
  groupController?: boolean;
  /** Readiness of the parts this process depends on; never throws. */
  ready: () => Promise<boolean>;
}

export function pluginCapabilities(controller: boolean, groupController = false): PluginCapability[] {
  const services: PluginCapability[] = controller
    ? [
        { type: { $case: "service", value: { type: ServiceType.CONTROLLER_SERVICE } } },
        { type: { $case: "service", value: { type: ServiceType.VOLUME_ACCESSIBILITY_CONSTRAINTS } } },
      ]
    : [];
  if (controller && groupController) {
    services.push({ type: { $case: "service", value: { type: ServiceType.GROUP_CONTROLLER_SERVICE } } });
  }
  // ONLINE alone: published volumes grow in place (ControllerExpandVolume on an attached volume).
  // OFFLINE would add that published volumes SHALL NOT be expanded, contradicting it.
  return [...services, { type: { $case: "volumeExpansion", value: { type: ExpansionType.ONLINE } } }];
}

export function createIdentityHandlers(options: IdentityOptions): IdentityServer {
  return {
    getPluginInfo: unary(async () => ({
      name: options.driverName,
      vendorVersion: options.vendorVersion,
      manifest: {},
    })),
    getPluginCapabilities: unary(async () => ({
      capabilities: pluginCapabilities(options.controller, options.groupController ?? false),
    })),
    probe: unary(async () => ({ ready: await options.ready() })),
  };
}
