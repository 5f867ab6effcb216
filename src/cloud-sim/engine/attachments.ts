import type { LocalAttachProbe } from "../loop-devices.js";
import { problem } from "../problems.js";
import type { Attachment, InstanceRecord, OperationRecord, VolumeRecord } from "../state.js";
import type { EngineParts, Schemas } from "./engine-types.js";
import { attachmentView, settleStatus } from "./views.js";

/** How many attachments a resource may hold; each cloud a face stands for has its own numbers. */
export interface AttachLimits {
  /** Instances a multi-attach volume may be attached to at once. */
  perVolume: number;
  /** Volumes an instance may have attached at once. */
  perInstance: (instance: InstanceRecord) => number;
}

export const DEFAULT_ATTACH_LIMITS: AttachLimits = {
  perVolume: 16,
  perInstance: (instance) => instance.maxAttachedVolumes,
};

export interface AttachmentsDependencies {
  limits: AttachLimits;
  localAttach: () => LocalAttachProbe;
  byIdPath: (serial: string) => string;
}

/** The attach and detach rules: zones, single- and multi-attach, exclusivity and limits. */
export class Attachments {
  constructor(
    private readonly parts: EngineParts,
    private readonly deps: AttachmentsDependencies,
  ) {}

  get(volumeId: string, instanceId: string): Attachment {
    const volume = this.parts.records.volume(volumeId);
    const attachment = volume.attachments.find((a) => a.instanceId === instanceId);
    if (attachment === undefined) {
      throw problem("not_found", `volume ${volumeId} is not attached to instance ${instanceId}`, {
        resourceId: volumeId,
      });
    }
    return attachmentView(attachment);
  }

  attach(volumeId: string, request: Schemas["AttachVolumeRequest"]): OperationRecord {
    const { records, catalog, operations } = this.parts;
    const volume = records.volume(volumeId);
    const instance = records.instance(request.instanceId, "instanceId");
    const readOnly = request.readOnly === true;
    const current = volume.attachments.find((a) => a.instanceId === instance.id);
    if (current !== undefined) {
      if (current.state === "detaching") {
        throw problem("conflict", `volume ${volume.id} is being detached from instance ${instance.id}`, {
          resourceId: volume.id,
        });
      }
      if (current.readOnly !== readOnly) {
        throw problem(
          "conflict",
          `readOnly: volume ${volume.id} is attached to instance ${instance.id} with readOnly=${current.readOnly}`,
          { resourceId: volume.id },
        );
      }
      return operations.get(current.operationId);
    }
    records.requireSettled(volume, "volumeId");
    this.requireNoTypeChange(volume);
    if (volume.zone !== instance.zone) {
      throw problem(
        "zone_mismatch",
        `volume ${volume.id} is in zone ${volume.zone} and instance ${instance.id} in zone ${instance.zone}`,
        { resourceId: volume.id },
      );
    }
    const type = catalog.volumeType(volume.type, "type", "internal");
    const instanceIds = volume.attachments.map((a) => a.instanceId);
    if (volume.attachments.length > 0 && !type.multiAttach) {
      throw problem(
        "volume_in_use",
        `volume ${volume.id} is attached to instance ${instanceIds.join(", ")} and type ${type.name} is single-attach`,
        { resourceId: volume.id, instanceIds },
      );
    }
    // Checked in the same synchronous step that pushes the new attachment below, so a concurrent
    // exclusive attach to another instance sees this one (still attaching) and is refused.
    if (volume.attachments.length > 0 && request.exclusive === true) {
      throw problem(
        "volume_in_use",
        `volume ${volume.id} is attached to instance ${instanceIds.join(", ")} and the attach to ${instance.id} asked to be exclusive`,
        { resourceId: volume.id, instanceIds },
      );
    }
    this.checkLimits(volume.id, volume.attachments.length, instance);
    const operation = operations.create(
      "attachVolume",
      volume.id,
      { kind: "attachVolume", instanceId: instance.id, readOnly },
      instance.id,
    );
    volume.attachments.push({
      volumeId: volume.id,
      instanceId: instance.id,
      serial: volume.id,
      byIdPath: this.deps.byIdPath(volume.id),
      state: "attaching",
      readOnly,
      operationId: operation.id,
    });
    settleStatus(volume);
    return operations.start(operation);
  }

  detach(volumeId: string, instanceId: string): OperationRecord {
    const { records, operations } = this.parts;
    const volume = records.volume(volumeId);
    const attachment = volume.attachments.find((a) => a.instanceId === instanceId);
    if (attachment === undefined) {
      throw problem("not_found", `volume ${volumeId} is not attached to instance ${instanceId}`, {
        resourceId: volumeId,
      });
    }
    if (attachment.state === "detaching") return operations.get(attachment.operationId);
    if (attachment.state === "attaching") {
      throw problem("conflict", `volume ${volumeId} is still being attached to instance ${instanceId}`, {
        resourceId: volumeId,
      });
    }
    const operation = operations.create(
      "detachVolume",
      volume.id,
      { kind: "detachVolume", instanceId },
      instanceId,
    );
    attachment.state = "detaching";
    attachment.operationId = operation.id;
    return operations.start(operation);
  }

  /**
   * The single- or multi-attach rule below reads the volume's type, which a running modify is about
   * to replace; the modify checked the attachments only when it was accepted. So an attach waits for
   * the type change, as other changes wait for a volume's running one.
   */
  private requireNoTypeChange(volume: VolumeRecord): void {
    if (volume.busyOperationId === undefined) return;
    const busy = this.parts.operations.get(volume.busyOperationId);
    if (busy.input.kind !== "modifyVolume" || busy.input.type === volume.type) return;
    throw problem(
      "conflict",
      `volume ${volume.id} has operation ${busy.id} (modifyVolume) running that changes its type to ${busy.input.type}`,
      { resourceId: volume.id },
    );
  }

  private checkLimits(volumeId: string, attachments: number, instance: InstanceRecord): void {
    const { perVolume, perInstance } = this.deps.limits;
    if (attachments >= perVolume) {
      throw problem("attach_limit_exceeded", `volume ${volumeId} already has ${perVolume} attachments`, {
        resourceId: volumeId,
      });
    }
    const attached = this.parts.records.attachedVolumeIds(instance.id).length;
    const limit = perInstance(instance);
    if (attached >= limit) {
      throw problem(
        "attach_limit_exceeded",
        `instance ${instance.id} has ${attached} of its ${limit} volumes attached`,
        { resourceId: instance.id },
      );
    }
    if (instance.local) {
      const probe = this.deps.localAttach();
      if (!probe.available) {
        throw problem(
          "local_attach_unavailable",
          `instance ${instance.id} is this machine and loop devices are unavailable: ${probe.reason}`,
          { resourceId: instance.id },
        );
      }
    }
  }
}
