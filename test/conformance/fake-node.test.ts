import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { createIdentityHandlers } from "../../src/csi/identity-handlers.js";
import { createNodeHandlers } from "../../src/csi/node-handlers.js";
import { type CsiServer, startCsiServer } from "../../src/csi/server.js";
import { type CsiClient, createCsiClient } from "../../src/demo/csi-client.js";
import { serialOfVolume } from "../../src/node/device-discovery.js";
import { createLogger } from "../../src/observability/logger.js";
import { FakeNodeWorld, newVolumeId } from "../node/fakes/fake-node.js";
import { DRIVER_NAME, expectCode } from "./fixtures.js";
import { CAPABILITY, type NodeUnderTest, nodeSpecBehaviours } from "./node-behaviours.js";

const KUBELET_DIR = "/var/lib/kubelet/conformance";

/**
 * The node's CSI face served on a real unix socket, with the node wired to a fake host: the
 * spec's node behaviours run anywhere, without root, beside the root run on loop devices
 * (node.test.ts), as the Hetzner driver runs csi-sanity against a fake mounter.
 */
describe("Node service over a unix socket, wired to a fake host", () => {
  let world: FakeNodeWorld;
  let server: CsiServer;
  let csi: CsiClient;
  let socketDir: string;

  before(async () => {
    world = await FakeNodeWorld.create();
    await world.host.mkdirp(KUBELET_DIR);
    socketDir = await mkdtemp(join(tmpdir(), "ballast-fake-node-"));
    const logger = createLogger("silent");
    server = await startCsiServer({
      endpoint: { kind: "unix", path: join(socketDir, "csi.sock") },
      identity: createIdentityHandlers({
        driverName: DRIVER_NAME,
        vendorVersion: "test",
        controller: false,
        ready: async () => true,
      }),
      node: createNodeHandlers(world.service),
      logger,
    });
    csi = createCsiClient(`unix://${join(socketDir, "csi.sock")}`);
  });

  after(async () => {
    csi?.close();
    await server?.stop();
    await rm(socketDir, { recursive: true, force: true });
  });

  const node = (): NodeUnderTest => ({
    csi,
    kubeletDir: KUBELET_DIR,
    needsRoot: false,
    attachVolume: async () => {
      const volume = world.attachVolume();
      const stagingTargetPath = join(KUBELET_DIR, volume.volumeId, "globalmount");
      await world.host.mkdirp(stagingTargetPath);
      return {
        volumeId: volume.volumeId,
        nodeId: (await world.service.nodeInfo()).nodeId,
        publishContext: { serial: serialOfVolume(volume.volumeId), byIdPath: volume.link },
        stagingTargetPath,
        targetPath: join(KUBELET_DIR, volume.volumeId, "pod", "mount"),
        cleanup: { nodeStage: () => undefined, nodePublish: () => undefined },
      };
    },
    mountsAt: async (path) => world.host.mounts.at((await world.host.realpath(path)) ?? path).length,
    fsTypeAt: async (path) => world.host.mounts.top((await world.host.realpath(path)) ?? path)?.fsType,
  });

  nodeSpecBehaviours(node, () => true);

  test("NodeStageVolume of a volume whose device never appears is NotFound", async () => {
    const volumeId = newVolumeId();
    await expectCode(
      csi.node.nodeStageVolume({
        volumeId,
        publishContext: { serial: serialOfVolume(volumeId) },
        stagingTargetPath: join(KUBELET_DIR, volumeId, "globalmount"),
        volumeCapability: CAPABILITY,
      }),
      status.NOT_FOUND,
    );
  });

  test("GetPluginInfo over the same socket names the driver", async () => {
    const info = await csi.identity.getPluginInfo({});
    assert.equal(info.name, DRIVER_NAME);
  });
});
