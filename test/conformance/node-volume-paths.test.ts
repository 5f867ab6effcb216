import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { forEachFace } from "./faces.js";
import { expectCode } from "./fixtures.js";
import { useDevSystem } from "./harness.js";

/**
 * NodeGetVolumeStats and NodeExpandVolume name a volume by where it is published. The spec's
 * tables answer a path with no volume there NotFound; a relative path is such a path, not a
 * malformed request.
 */
const VOLUME_ID = "vol-0123456789abcdef";
const PATHS = [
  ["a path that does not exist", "/var/lib/kubelet/pods/no-such-pod/volumes/pv/mount"],
  ["a relative path", "pods/no-such-pod/volumes/pv/mount"],
] as const;

forEachFace("volume paths with no volume there, over the dev socket", (face) => {
  const system = useDevSystem({ face });

  for (const [what, volumePath] of PATHS) {
    test(`NodeGetVolumeStats of ${what} is NotFound`, async () => {
      await expectCode(
        system().csi.node.nodeGetVolumeStats({ volumeId: VOLUME_ID, volumePath }),
        status.NOT_FOUND,
      );
    });

    test(`NodeExpandVolume of ${what} is NotFound`, async () => {
      await expectCode(
        system().csi.node.nodeExpandVolume({ volumeId: VOLUME_ID, volumePath }),
        status.NOT_FOUND,
      );
    });
  }
});
