import assert from "node:assert/strict";
import type { ServiceError } from "@grpc/grpc-js";
import { CreateVolumeRequest, type CreateVolumeResponse } from "../../src/generated/csi.js";
import { GiB, type Harness, mountCapability, rpc } from "../controller/controller-harness.js";

/** The gRPC code and details a call was refused with; fails the test when the call succeeds. */
export async function refusal(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, details } = error as ServiceError;
    return { code, details };
  }
  assert.fail("expected the call to be refused");
}

/** CreateVolume of one GiB with a single-writer ext4 mount capability, `extra` laid over it. */
export function createOneGiBVolume(
  h: Harness,
  name: string,
  extra: Partial<CreateVolumeRequest> = {},
): Promise<CreateVolumeResponse> {
  return rpc(
    h.controller,
    h.controller.createVolume,
    CreateVolumeRequest.fromPartial({
      name,
      capacityRange: { requiredBytes: GiB, limitBytes: 0n },
      volumeCapabilities: [mountCapability()],
      ...extra,
    }),
  );
}
