import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import fc from "fast-check";
import { isServiceError } from "../../src/demo/csi-client.js";
import { realHostFs } from "../../src/node/host-fs.js";
import { MountTable } from "../../src/node/mount-table.js";
import { inventoryFingerprint } from "../conformance/cloud-api.js";
import { useDevSystem } from "../conformance/harness.js";
import { controllerCalls, type HostileCall, identityCalls, nodeCalls, send } from "./hostile-requests.js";
import { hostileString } from "./hostile-values.js";

/** The codes a well-behaved plugin answers bad input with; anything else is a bug or a crash. */
const SENSIBLE_CODES = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.FAILED_PRECONDITION,
  status.OUT_OF_RANGE,
  status.RESOURCE_EXHAUSTED,
  status.ABORTED,
]);

const RUNS = 2000;
const CALL_TIMEOUT_MS = 15_000;

/**
 * Mount points this run could have caused: everything outside the temp dir (where suites running
 * in parallel keep theirs) plus everything in this run's own state dir.
 */
async function hostMountPoints(stateDir: string): Promise<string[]> {
  const temp = tmpdir();
  return (await new MountTable(realHostFs).entries())
    .map((entry) => entry.mountPoint)
    .filter((point) => !point.startsWith(`${temp}/`) || point.startsWith(`${stateDir}/`))
    .sort();
}

describe("hostile input over the dev socket", () => {
  const system = useDevSystem();

  test(`${RUNS} random and malformed requests to every RPC get sensible codes and change nothing they reject`, async () => {
    const { csi, cloud, stateDir } = system();
    const mountsBefore = await hostMountPoints(stateDir);
    const created = { volumes: new Set<string>(), snapshots: new Set<string>() };
    let baseline = inventoryFingerprint(await cloud.inventory());
    const arbitrary = fc.oneof(
      ...controllerCalls,
      ...identityCalls,
      // Only hostile volume ids: a well-formed one would make the node wait for a device.
      ...nodeCalls(`${stateDir}/kubelet`, hostileString),
    );
    try {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (hostile: HostileCall) => {
          let answer: unknown;
          try {
            answer = await send(csi, hostile, CALL_TIMEOUT_MS);
          } catch (error) {
            assert.ok(isServiceError(error), `not a gRPC status: ${String(error)}`);
            assert.ok(
              SENSIBLE_CODES.has(error.code),
              `${hostile.method} answered ${status[error.code]}: ${error.details}`,
            );
            assert.equal(
              inventoryFingerprint(await cloud.inventory()),
              baseline,
              `${hostile.method} was rejected with ${status[error.code]} but changed the cloud`,
            );
            return;
          }
          const volumeId = (answer as { volume?: { volumeId?: string } }).volume?.volumeId;
          if (hostile.method === "createVolume" && volumeId) created.volumes.add(volumeId);
          const snapshotId = (answer as { snapshot?: { snapshotId?: string } }).snapshot?.snapshotId;
          if (hostile.method === "createSnapshot" && snapshotId) created.snapshots.add(snapshotId);
          baseline = inventoryFingerprint(await cloud.inventory());
        }),
        { numRuns: RUNS, seed: 20_260_101, endOnFailure: true, includeErrorInReport: true },
      );
    } finally {
      for (const snapshotId of created.snapshots) await csi.controller.deleteSnapshot({ snapshotId });
      for (const volumeId of created.volumes) await csi.controller.deleteVolume({ volumeId });
    }
    const probe = await csi.identity.probe();
    assert.equal(probe.ready, true, "the driver still answers Probe after the fuzz");
    assert.deepEqual(
      await hostMountPoints(stateDir),
      mountsBefore,
      "no mount appeared or vanished outside the temp dir",
    );
  });
});
