import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { lstat, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { createIdentityHandlers } from "../../src/csi/identity-handlers.js";
import { startCsiServer } from "../../src/csi/server.js";
import { unary } from "../../src/csi/unary.js";
import {
  ControllerClient,
  type ControllerServer,
  PluginCapability_VolumeExpansion_Type as ExpansionType,
  type GetPluginCapabilitiesResponse,
  type GetPluginInfoResponse,
  IdentityClient,
  NodeClient,
  PluginCapability_Service_Type as ServiceType,
} from "../../src/generated/csi.js";
import { createLogger } from "../../src/observability/logger.js";

const logger = createLogger("silent");

function identity(controller: boolean, ready = async () => true) {
  return createIdentityHandlers({
    driverName: "block.csi.ballast.dev",
    vendorVersion: "1.2.3",
    controller,
    ready,
  });
}

function call<Res>(
  invoke: (
    metadata: Metadata,
    options: { deadline: number },
    cb: (error: ServiceError | null, response: Res) => void,
  ) => unknown,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke(new Metadata(), { deadline: Date.now() + 5000 }, (error, response) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

describe("CSI server", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-csi-server-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("Identity answers plugin info, controller capabilities and readiness", async (t) => {
    const server = await startCsiServer({
      endpoint: { kind: "unix", path: join(dir, "identity.sock") },
      identity: identity(true, async () => false),
      logger,
    });
    const client = new IdentityClient(server.address, credentials.createInsecure());
    t.after(async () => {
      client.close();
      await server.stop();
    });
    const info = await call<GetPluginInfoResponse>((m, o, cb) => client.getPluginInfo({}, m, o, cb));
    assert.deepEqual(info, { name: "block.csi.ballast.dev", vendorVersion: "1.2.3", manifest: {} });
    const caps = await call<GetPluginCapabilitiesResponse>((m, o, cb) =>
      client.getPluginCapabilities({}, m, o, cb),
    );
    assert.deepEqual(caps.capabilities, [
      { type: { $case: "service", value: { type: ServiceType.CONTROLLER_SERVICE } } },
      { type: { $case: "service", value: { type: ServiceType.VOLUME_ACCESSIBILITY_CONSTRAINTS } } },
      { type: { $case: "volumeExpansion", value: { type: ExpansionType.ONLINE } } },
    ]);
    assert.deepEqual(await call((m, o, cb) => client.probe({}, m, o, cb)), { ready: false });
  });

  test("a node-only server advertises no controller service", async (t) => {
    const server = await startCsiServer({
      endpoint: { kind: "unix", path: join(dir, "node-only.sock") },
      identity: identity(false),
      logger,
    });
    const client = new IdentityClient(server.address, credentials.createInsecure());
    t.after(async () => {
      client.close();
      await server.stop();
    });
    const caps = await call<GetPluginCapabilitiesResponse>((m, o, cb) =>
      client.getPluginCapabilities({}, m, o, cb),
    );
    assert.deepEqual(caps.capabilities, [
      { type: { $case: "volumeExpansion", value: { type: ExpansionType.ONLINE } } },
    ]);
  });

  test("a service that is not registered answers UNIMPLEMENTED", async (t) => {
    const server = await startCsiServer({
      endpoint: { kind: "unix", path: join(dir, "no-node.sock") },
      identity: identity(true),
      logger,
    });
    const client = new NodeClient(server.address, credentials.createInsecure());
    t.after(async () => {
      client.close();
      await server.stop();
    });
    await assert.rejects(
      call((m, o, cb) => client.nodeGetCapabilities({}, m, o, cb)),
      { code: status.UNIMPLEMENTED },
    );
  });

  test("a stale socket file is removed and the server starts", async (t) => {
    const path = join(dir, "stale.sock");
    // A process killed while listening leaves its socket file behind.
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [
        "-e",
        "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))",
        path,
      ]);
      child.once("exit", () => resolve());
    });
    assert.equal((await lstat(path)).isSocket(), true);
    const server = await startCsiServer({
      endpoint: { kind: "unix", path },
      identity: identity(true),
      logger,
    });
    const client = new IdentityClient(server.address, credentials.createInsecure());
    t.after(async () => {
      client.close();
      await server.stop();
    });
    const info = await call<GetPluginInfoResponse>((m, o, cb) => client.getPluginInfo({}, m, o, cb));
    assert.equal(info.name, "block.csi.ballast.dev");
  });

  test("a socket with a live server on it is refused", async (t) => {
    const path = join(dir, "live.sock");
    const first = await startCsiServer({
      endpoint: { kind: "unix", path },
      identity: identity(true),
      logger,
    });
    t.after(() => first.stop());
    await assert.rejects(
      startCsiServer({ endpoint: { kind: "unix", path }, identity: identity(true), logger }),
      {
        kind: "FailedPrecondition",
        message: `--endpoint: another server is already listening on ${path}: stop it, or choose another --endpoint`,
      },
    );
  });

  test("a path that is not a socket is left alone and refused", async () => {
    const path = join(dir, "regular-file");
    await writeFile(path, "keep me");
    await assert.rejects(
      startCsiServer({ endpoint: { kind: "unix", path }, identity: identity(true), logger }),
      {
        kind: "FailedPrecondition",
      },
    );
    assert.equal((await lstat(path)).isFile(), true);
  });

  test("stop lets an in-flight RPC finish and then removes the socket", async () => {
    const path = join(dir, "drain.sock");
    let release: () => void = () => {};
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const controller = {
      controllerGetCapabilities: unary(async () => {
        started();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { capabilities: [] };
      }),
    } as unknown as ControllerServer;
    const server = await startCsiServer({
      endpoint: { kind: "unix", path },
      identity: identity(true),
      controller,
      logger,
    });
    const client = new ControllerClient(server.address, credentials.createInsecure());
    const inFlight = call((m, o, cb) => client.controllerGetCapabilities({}, m, o, cb));
    await running;
    const stopped = server.stop();
    release();
    assert.deepEqual(await inFlight, { capabilities: [] });
    await stopped;
    client.close();
    await assert.rejects(lstat(path), { code: "ENOENT" });
  });

  test("stop cuts RPCs still running after the drain timeout", async () => {
    const path = join(dir, "cut.sock");
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const controller = {
      controllerGetCapabilities: unary(async () => {
        started();
        await new Promise(() => {});
        return { capabilities: [] };
      }),
    } as unknown as ControllerServer;
    const server = await startCsiServer({
      endpoint: { kind: "unix", path },
      identity: identity(true),
      controller,
      logger,
      drainTimeoutMs: 100,
    });
    const client = new ControllerClient(server.address, credentials.createInsecure());
    const outcome = call((m, o, cb) => client.controllerGetCapabilities({}, m, o, cb)).then(
      () => status.OK,
      (error: ServiceError) => error.code,
    );
    await running;
    await server.stop();
    assert.equal(await outcome, status.CANCELLED);
    client.close();
  });

  test("a tcp endpoint on port 0 reports the port it got", async (t) => {
    const server = await startCsiServer({
      endpoint: { kind: "tcp", host: "127.0.0.1", port: 0 },
      identity: identity(true),
      logger,
    });
    t.after(() => server.stop());
    assert.match(server.address, /^127\.0\.0\.1:[1-9][0-9]*$/);
  });
});
