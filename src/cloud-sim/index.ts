export type {
  ContractViolation,
  FaultConfig,
  InstanceConfig,
  Quotas,
  ReferenceCloudConfig,
  VolumeType,
  Zone,
} from "./config.js";
export { DEFAULT_TOKEN, DEFAULT_VOLUME_TYPES, DEFAULT_ZONES } from "./config.js";
export { type ReferenceCloud, ReferenceCloudStartError, startReferenceCloud } from "./reference-cloud.js";
