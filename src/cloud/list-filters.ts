import type { Tags } from "./cloud-types.js";

/** Paging of the API's list operations. */
export interface PageOptions {
  /** 1..1000, server default 100. */
  limit?: number;
  /** The previous page's `nextPageToken`. */
  pageToken?: string;
}

export interface VolumeFilter extends PageOptions {
  name?: string;
  zone?: string;
  /** Every pair must match (sent as repeated `tag=key=value`). */
  tags?: Tags;
  /** Only volumes attached (in any state) to this instance. */
  instanceId?: string;
}

export interface SnapshotFilter extends PageOptions {
  name?: string;
  sourceVolumeId?: string;
}

export interface SnapshotGroupFilter extends PageOptions {
  name?: string;
}

export interface InstanceFilter extends PageOptions {
  name?: string;
  zone?: string;
}
