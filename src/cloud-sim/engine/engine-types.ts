import type { components } from "../../generated/block-storage.v1.js";
import type { ResolvedConfig } from "../config.js";
import type { IdPrefix } from "../ids.js";
import type { CloudState, OperationRecord } from "../state.js";
import type { Capacity } from "./capacity.js";
import type { Catalog } from "./catalog.js";
import type { Operations } from "./operations.js";
import type { Records } from "./records.js";

export type Schemas = components["schemas"];

/** How a face names new resources: each cloud has its own id format over the same engine. */
export type IdGenerator = (prefix: IdPrefix) => string;

export interface Accepted {
  operation: OperationRecord;
  replayed: boolean;
}

export interface IdempotencyContext {
  key: string;
  fingerprint: string;
}

export interface ListVolumesQuery {
  limit: number;
  pageToken?: string;
  name?: string;
  zone?: string;
  tag?: string[];
  instanceId?: string;
}

export interface ListSnapshotsQuery {
  limit: number;
  pageToken?: string;
  name?: string;
  sourceVolumeId?: string;
}

export interface ListSnapshotGroupsQuery {
  limit: number;
  pageToken?: string;
  name?: string;
}

export interface ListInstancesQuery {
  limit: number;
  pageToken?: string;
  name?: string;
  zone?: string;
}

/** The shared pieces each resource's rules are built from (see cloud-engine.ts). */
export interface EngineParts {
  config: ResolvedConfig;
  state: CloudState;
  records: Records;
  catalog: Catalog;
  capacity: Capacity;
  operations: Operations;
  newId: IdGenerator;
  now: () => number;
}
