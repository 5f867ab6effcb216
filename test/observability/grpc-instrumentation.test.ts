import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { unary } from "../../src/csi/unary.js";
import {
  ControllerPublishVolumeRequest,
  CreateVolumeRequest,
  CreateVolumeResponse,
  DeleteVolumeRequest,
  ProbeRequest,
  ProbeResponse,
} from "../../src/generated/csi.js";
import { rpcName } from "../../src/observability/grpc-instrumentation.js";
import { BallastError, internal, notFound } from "../../src/shared/errors.js";
import { call, histogramCount, seriesValue, startCsiHarness } from "./csi-harness.js";

describe("instrumentService", () => {
  test("a successful CreateVolume is counted, timed and logged once at info with the created volume id", async (t) => {
    const h = await startCsiHarness({
      controller: {
        createVolume: unary(async () =>
          CreateVolumeResponse.fromPartial({
            volume: { volumeId: "vol-00000000000000aa", capacityBytes: 1n },
          }),
        ),
      },
    });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.createVolume,
      h.controller,
      CreateVolumeRequest.fromPartial({ name: "pvc-1234" }),
    );

    assert.equal(error, null);
    const labels = { method: "CreateVolume", code: "OK" };
    assert.equal(await seriesValue(h.metrics, "ballast_csi_operations_total", labels), 1);
    assert.equal(await histogramCount(h.metrics, "ballast_csi_operation_duration_seconds", labels), 1);
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_in_flight", { method: "CreateVolume" }),
      0,
    );
    const [line, ...others] = h.log.rpcRecords();
    assert.deepEqual(others, []);
    assert.equal(line?.level, "info");
    assert.equal(line?.method, "CreateVolume");
    assert.equal(line?.csi_service, "Controller");
    assert.equal(line?.name, "pvc-1234");
    assert.equal(line?.volume_id, "vol-00000000000000aa");
    assert.equal(line?.grpc_code, "OK");
    assert.equal(typeof line?.duration_ms, "number");
    assert.equal("error" in (line ?? {}), false);
  });

  test("a NOT_FOUND DeleteVolume is labelled NOT_FOUND and logged at warn with the volume id and message", async (t) => {
    const h = await startCsiHarness({
      controller: {
        deleteVolume: unary(async (request: DeleteVolumeRequest) => {
          throw notFound(`volume_id: "${request.volumeId}" does not exist`);
        }),
      },
    });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.deleteVolume,
      h.controller,
      DeleteVolumeRequest.fromPartial({ volumeId: "vol-00000000000000bb" }),
    );

    assert.equal(error?.code, status.NOT_FOUND);
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_total", {
        method: "DeleteVolume",
        code: "NOT_FOUND",
      }),
      1,
    );
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_total", { method: "DeleteVolume", code: "OK" }),
      0,
    );
    const [line] = h.log.rpcRecords();
    assert.equal(line?.level, "warn");
    assert.equal(line?.volume_id, "vol-00000000000000bb");
    assert.equal(line?.grpc_code, "NOT_FOUND");
    assert.equal(line?.error, 'volume_id: "vol-00000000000000bb" does not exist');
  });

  test("an INTERNAL failure is logged at error", async (t) => {
    const h = await startCsiHarness({
      controller: {
        controllerPublishVolume: unary(async () => {
          throw internal("attach answered without a device serial");
        }),
      },
    });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.controllerPublishVolume,
      h.controller,
      ControllerPublishVolumeRequest.fromPartial({
        volumeId: "vol-00000000000000cc",
        nodeId: "i-00000000000000dd",
      }),
    );

    assert.equal(error?.code, status.INTERNAL);
    const [line] = h.log.rpcRecords();
    assert.equal(line?.level, "error");
    assert.equal(line?.method, "ControllerPublishVolume");
    assert.equal(line?.node_id, "i-00000000000000dd");
    assert.equal(line?.grpc_code, "INTERNAL");
    assert.equal(line?.error, "attach answered without a device serial");
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_total", {
        method: "ControllerPublishVolume",
        code: "INTERNAL",
      }),
      1,
    );
  });

  test("the in-flight gauge counts an RPC while its handler runs and drops when it answers", async (t) => {
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const handlerEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const h = await startCsiHarness({
      controller: {
        createVolume: unary(async () => {
          entered();
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return CreateVolumeResponse.fromPartial({ volume: { volumeId: "vol-00000000000000ee" } });
        }),
      },
    });
    t.after(() => h.close());

    const pending = call(
      h.controller.createVolume,
      h.controller,
      CreateVolumeRequest.fromPartial({ name: "pvc-slow" }),
    );
    await handlerEntered;
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_in_flight", { method: "CreateVolume" }),
      1,
    );
    release();
    await pending;
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_in_flight", { method: "CreateVolume" }),
      0,
    );
  });

  test("a successful Probe is logged at debug, not info", async (t) => {
    const h = await startCsiHarness({
      identity: { probe: unary(async () => ProbeResponse.fromPartial({ ready: true })) },
    });
    t.after(() => h.close());

    await call(h.identity.probe, h.identity, ProbeRequest.fromPartial({}));

    const [line] = h.log.rpcRecords();
    assert.equal(line?.level, "debug");
    assert.equal(line?.method, "Probe");
    assert.equal(line?.csi_service, "Identity");
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_total", { method: "Probe", code: "OK" }),
      1,
    );
  });

  test("a handler that throws synchronously answers INTERNAL and is still counted", async (t) => {
    const h = await startCsiHarness({
      controller: {
        deleteVolume: () => {
          throw new BallastError("Internal", "handler bug");
        },
      },
    });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.deleteVolume,
      h.controller,
      DeleteVolumeRequest.fromPartial({ volumeId: "vol-00000000000000ff" }),
    );

    assert.equal(error?.code, status.INTERNAL);
    assert.equal(error?.details, "internal error: handler bug");
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_total", {
        method: "DeleteVolume",
        code: "INTERNAL",
      }),
      1,
    );
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_in_flight", { method: "DeleteVolume" }),
      0,
    );
  });

  test("a method the service does not implement answers UNIMPLEMENTED without an rpc line", async (t) => {
    const h = await startCsiHarness({ controller: {} });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.deleteVolume,
      h.controller,
      DeleteVolumeRequest.fromPartial({ volumeId: "vol-0000000000000011" }),
    );

    assert.equal(error?.code, status.UNIMPLEMENTED);
    assert.deepEqual(h.log.rpcRecords(), []);
  });

  test("the method label is the CSI RPC name of the implementation key", () => {
    assert.equal(rpcName("controllerPublishVolume"), "ControllerPublishVolume");
    assert.equal(rpcName("nodeGetVolumeStats"), "NodeGetVolumeStats");
    assert.equal(rpcName("getPluginInfo"), "GetPluginInfo");
  });

  test("a handler that throws after answering keeps its answer and logs the throw at error", async (t) => {
    const h = await startCsiHarness({
      controller: {
        deleteVolume: (_call, callback) => {
          callback(null, {});
          throw new Error("cleanup after answering failed");
        },
      },
    });
    t.after(() => h.close());

    const { error } = await call(
      h.controller.deleteVolume,
      h.controller,
      DeleteVolumeRequest.fromPartial({ volumeId: "vol-0000000000000022" }),
    );

    assert.equal(error, null);
    assert.equal(
      await seriesValue(h.metrics, "ballast_csi_operations_total", { method: "DeleteVolume", code: "OK" }),
      1,
    );
    const thrown = h.log.records().find((record) => record.msg === "rpc handler threw after answering");
    assert.equal(thrown?.level, "error");
    assert.equal(thrown?.error, "cleanup after answering failed");
  });
});
