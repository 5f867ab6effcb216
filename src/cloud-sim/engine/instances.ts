import { type Page, paginate } from "../page-token.js";
import type { Instance, InstanceRecord } from "../state.js";
import type { AttachLimits } from "./attachments.js";
import type { EngineParts, ListInstancesQuery } from "./engine-types.js";

/** The instances volumes attach to; they come from the configuration, so they are only read here. */
export class Instances {
  constructor(
    private readonly parts: EngineParts,
    private readonly limits: AttachLimits,
  ) {}

  list(query: ListInstancesQuery): Page<Instance> {
    const sorted = [...this.parts.state.instances].sort((a, b) => a.id.localeCompare(b.id));
    const matching = sorted
      .map((instance, position) => ({ instance, position }))
      .filter(
        ({ instance }) =>
          (query.name === undefined || instance.name === query.name) &&
          (query.zone === undefined || instance.zone === query.zone),
      );
    const page = paginate("instances", matching, (m) => m.position, query.limit, query.pageToken);
    return { ...page, items: page.items.map(({ instance }) => this.view(instance)) };
  }

  get(instanceId: string): Instance {
    return this.view(this.parts.records.instance(instanceId));
  }

  private view(instance: InstanceRecord): Instance {
    return {
      id: instance.id,
      name: instance.name,
      zone: instance.zone,
      maxAttachedVolumes: this.limits.perInstance(instance),
      attachedVolumeIds: this.parts.records.attachedVolumeIds(instance.id),
    };
  }
}
