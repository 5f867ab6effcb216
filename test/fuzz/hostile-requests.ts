import fc from "fast-check";
import type { CsiClient } from "../../src/demo/csi-client.js";
import {
  hostileCapability,
  hostileMap,
  hostilePageSize,
  hostilePath,
  hostileSize,
  hostileString,
  hostileTopology,
} from "./hostile-values.js";

/** One hostile call: which RPC, and the request to send it. */
export interface HostileCall {
  service: "identity" | "controller" | "node";
  method: string;
  request: Record<string, unknown>;
}

const capacityRange = fc.record(
  { requiredBytes: hostileSize, limitBytes: hostileSize },
  { requiredKeys: [] },
);

const contentSource = fc.oneof(
  fc.record({
    type: fc.record({ $case: fc.constant("snapshot"), value: fc.record({ snapshotId: hostileString }) }),
  }),
  fc.record({
    type: fc.record({ $case: fc.constant("volume"), value: fc.record({ volumeId: hostileString }) }),
  }),
);

function call(
  service: HostileCall["service"],
  method: string,
  request: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<HostileCall> {
  return request.map((value) => ({ service, method, request: value }));
}

export const controllerCalls: fc.Arbitrary<HostileCall>[] = [
  call(
    "controller",
    "createVolume",
    fc.record(
      {
        name: hostileString,
        capacityRange,
        volumeCapabilities: fc.array(hostileCapability, { maxLength: 3 }),
        parameters: hostileMap,
        secrets: hostileMap,
        volumeContentSource: contentSource,
        accessibilityRequirements: hostileTopology,
        mutableParameters: hostileMap,
      },
      { requiredKeys: [] },
    ),
  ),
  call("controller", "deleteVolume", fc.record({ volumeId: hostileString, secrets: hostileMap })),
  call(
    "controller",
    "controllerPublishVolume",
    fc.record(
      {
        volumeId: hostileString,
        nodeId: hostileString,
        volumeCapability: hostileCapability,
        readonly: fc.boolean(),
        volumeContext: hostileMap,
      },
      { requiredKeys: [] },
    ),
  ),
  call(
    "controller",
    "controllerUnpublishVolume",
    fc.record({ volumeId: hostileString, nodeId: hostileString }, { requiredKeys: [] }),
  ),
  call(
    "controller",
    "validateVolumeCapabilities",
    fc.record(
      {
        volumeId: hostileString,
        volumeCapabilities: fc.array(hostileCapability, { maxLength: 3 }),
        volumeContext: hostileMap,
        parameters: hostileMap,
      },
      { requiredKeys: [] },
    ),
  ),
  call(
    "controller",
    "listVolumes",
    fc.record({ maxEntries: hostilePageSize, startingToken: hostileString }, { requiredKeys: [] }),
  ),
  call(
    "controller",
    "getCapacity",
    fc.record(
      {
        volumeCapabilities: fc.array(hostileCapability, { maxLength: 2 }),
        parameters: hostileMap,
        accessibleTopology: fc.record({ segments: hostileMap }),
      },
      { requiredKeys: [] },
    ),
  ),
  call(
    "controller",
    "createSnapshot",
    fc.record(
      { sourceVolumeId: hostileString, name: hostileString, parameters: hostileMap },
      { requiredKeys: [] },
    ),
  ),
  call("controller", "deleteSnapshot", fc.record({ snapshotId: hostileString })),
  call(
    "controller",
    "listSnapshots",
    fc.record(
      {
        maxEntries: hostilePageSize,
        startingToken: hostileString,
        sourceVolumeId: hostileString,
        snapshotId: hostileString,
      },
      { requiredKeys: [] },
    ),
  ),
  call("controller", "getSnapshot", fc.record({ snapshotId: hostileString })),
  call(
    "controller",
    "controllerExpandVolume",
    fc.record(
      { volumeId: hostileString, capacityRange, volumeCapability: hostileCapability },
      { requiredKeys: [] },
    ),
  ),
  call("controller", "controllerGetVolume", fc.record({ volumeId: hostileString })),
  call(
    "controller",
    "controllerModifyVolume",
    fc.record({ volumeId: hostileString, mutableParameters: hostileMap }, { requiredKeys: [] }),
  ),
];

export const identityCalls: fc.Arbitrary<HostileCall>[] = [
  call("identity", "getPluginInfo", fc.constant({})),
  call("identity", "getPluginCapabilities", fc.constant({})),
  call("identity", "probe", fc.constant({})),
];

/**
 * Node calls. `volumeId` decides whether requests can get past validation: the dev-system fuzz
 * passes only hostile ids (a well-formed id would make the node wait for a device that never
 * comes), the in-process node fuzz adds well-formed ones.
 */
export function nodeCalls(root: string, volumeId: fc.Arbitrary<string>): fc.Arbitrary<HostileCall>[] {
  const path = hostilePath(root);
  // The publish context is drawn for the request's own volume id, so some contexts are valid
  // and the request gets as far as the device and the commands.
  const publishContext = (id: string) =>
    fc.oneof(
      hostileMap,
      fc.constant({ serial: id }),
      fc.constant({ serial: id, byIdPath: `/dev/disk/by-id/virtio-${id}` }),
      fc.record({ serial: hostileString, byIdPath: hostileString }),
    );
  return [
    call(
      "node",
      "nodeStageVolume",
      volumeId.chain((id) =>
        fc.record(
          {
            volumeId: fc.constant(id),
            publishContext: publishContext(id),
            stagingTargetPath: path,
            volumeCapability: hostileCapability,
            volumeContext: hostileMap,
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    call("node", "nodeUnstageVolume", fc.record({ volumeId, stagingTargetPath: path }, { requiredKeys: [] })),
    call(
      "node",
      "nodePublishVolume",
      volumeId.chain((id) =>
        fc.record(
          {
            volumeId: fc.constant(id),
            publishContext: publishContext(id),
            stagingTargetPath: path,
            targetPath: path,
            volumeCapability: hostileCapability,
            readonly: fc.boolean(),
            volumeContext: hostileMap,
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    call("node", "nodeUnpublishVolume", fc.record({ volumeId, targetPath: path }, { requiredKeys: [] })),
    call(
      "node",
      "nodeGetVolumeStats",
      fc.record({ volumeId, volumePath: path, stagingTargetPath: path }, { requiredKeys: [] }),
    ),
    call(
      "node",
      "nodeExpandVolume",
      fc.record(
        {
          volumeId,
          volumePath: path,
          stagingTargetPath: path,
          capacityRange,
          volumeCapability: hostileCapability,
        },
        { requiredKeys: [] },
      ),
    ),
    call("node", "nodeGetCapabilities", fc.constant({})),
    call("node", "nodeGetInfo", fc.constant({})),
  ];
}

/** Sends one hostile call through the promise client; the answer or the gRPC error. */
export function send(client: CsiClient, hostile: HostileCall, timeoutMs: number): Promise<unknown> {
  const service = client[hostile.service] as unknown as Record<
    string,
    (request: unknown, options: { timeoutMs: number }) => Promise<unknown>
  >;
  const method = service[hostile.method];
  if (method === undefined) throw new Error(`no method ${hostile.service}.${hostile.method}`);
  return method(hostile.request, { timeoutMs });
}
