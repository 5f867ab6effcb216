import type {
  Attachment,
  AttachmentRecord,
  Operation,
  OperationRecord,
  Snapshot,
  SnapshotRecord,
  Volume,
  VolumeRecord,
} from "../state.js";

/* What the API shows of a record: the bookkeeping the engine keeps beside it stays inside. */

export function volumeView(volume: VolumeRecord): Volume {
  const { seq: _seq, spec: _spec, createOperationId: _create, busyOperationId: _busy, ...view } = volume;
  return { ...view, tags: { ...view.tags }, attachments: volume.attachments.map(attachmentView) };
}

export function attachmentView(attachment: AttachmentRecord): Attachment {
  const { operationId: _operationId, ...view } = attachment;
  return { ...view };
}

export function snapshotView(snapshot: SnapshotRecord): Snapshot {
  const { seq: _seq, createOperationId: _create, deleteOperationId: _delete, ...view } = snapshot;
  return { ...view, tags: { ...view.tags } };
}

export function operationView(operation: OperationRecord): Operation {
  const { input: _input, dueAt: _dueAt, ...view } = operation;
  return view;
}

/** available ⇄ in-use follows the attachments; other statuses are set by the lifecycle. */
export function settleStatus(volume: VolumeRecord): void {
  if (volume.status === "available" || volume.status === "in-use") {
    volume.status = volume.attachments.length > 0 ? "in-use" : "available";
  }
}
