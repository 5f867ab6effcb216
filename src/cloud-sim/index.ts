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
export { API_NAMES, type ApiName, type RateLimitOverride } from "./faces/face.js";
export {
  type ReferenceCloud,
  type ReferenceCloudOptions,
  ReferenceCloudStartError,
  startReferenceCloud,
} from "./reference-cloud.js";
