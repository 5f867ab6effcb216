import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Metadata, status } from "@grpc/grpc-js";
import { CreateVolumeRequest } from "../../src/generated/csi.js";
import { metricValue } from "../cloud/scripted-server.js";
import {
  cloudRequestCount,
  type Harness,
  mountCapability,
  startHarness,
  until,
} from "./controller-harness.js";

/**
 * A CO that gives up on an RPC (the sidecar's timeout, a deleted PVC) cancels the call; the
 * driver must stop the cloud work it was doing for it instead of polling until the deadline.
 */
describe("a cancelled CreateVolume", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ cloud: { operationLatencyMs: { createVolume: 60_000 } } });
  });
  after(async () => {
    await h.close();
  });

  test("stops polling the cloud's operation once the call is cancelled", async () => {
    let answered: number | undefined;
    const call = h.controller.createVolume(
      CreateVolumeRequest.fromPartial({ name: "cancelled-create", volumeCapabilities: [mountCapability()] }),
      new Metadata(),
      { deadline: Date.now() + 120_000 },
      (error) => {
        answered = error?.code ?? status.OK;
      },
    );
    await until(
      "the operation is being polled",
      async () => (await cloudRequestCount(h, "getOperation")) >= 2,
    );
    call.cancel();
    await until("the client saw the cancellation", async () => answered !== undefined);
    assert.equal(answered, status.CANCELLED);
    await until(
      "the driver stopped waiting for the operation",
      async () =>
        (await metricValue(h.metrics, "ballast_cloud_operation_wait_seconds", { kind: "createVolume" })) ===
        1,
    );
    const pollsAtStop = await cloudRequestCount(h, "getOperation");
    // Several poll intervals of the harness's client (at most 100 ms each).
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await cloudRequestCount(h, "getOperation"), pollsAtStop);
  });
});
