import { unlink } from "node:fs/promises";
import { connect, type NetConnectOpts } from "node:net";
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  type ControllerServer,
  ControllerService,
  type GroupControllerServer,
  GroupControllerService,
  type IdentityServer,
  IdentityService,
  type NodeServer,
  NodeService,
} from "../generated/csi.js";
import type { Logger } from "../observability/logger.js";
import { internal } from "../shared/errors.js";
import { type Endpoint, grpcAddress } from "./endpoint.js";
import { prepareSocketPath } from "./socket-hygiene.js";

export interface CsiServerOptions {
  endpoint: Endpoint;
  identity: IdentityServer;
  controller?: ControllerServer | undefined;
  /** Served beside the Controller only for a provider that takes group snapshots. */
  groupController?: GroupControllerServer | undefined;
  node?: NodeServer | undefined;
  logger: Logger;
  /** Wraps each service (metrics, one log line per RPC); identity when absent. */
  instrument?: <T extends UntypedServiceImplementation>(serviceName: string, impl: T) => T;
  /** How long `stop()` lets in-flight RPCs finish before cutting them; default 30 s. */
  drainTimeoutMs?: number | undefined;
}

export interface CsiServer {
  /** What a client dials: `unix:///path` or `host:port` (the real port when 0 was asked). */
  address: string;
  /** Stops accepting, lets in-flight RPCs finish (bounded), then removes the socket. */
  stop(): Promise<void>;
  /**
   * Resolves when a client can connect to the endpoint now; rejects saying why not (the socket
   * file was removed, the server stopped). This is what kubelet and the sidecars depend on.
   */
  checkAccepting(timeoutMs?: number): Promise<void>;
}

/**
 * Serves the CSI services on the endpoint. Identity always; Controller and Node when given. On a
 * unix endpoint a stale socket is removed first and a live one makes the start fail.
 */
export async function startCsiServer(options: CsiServerOptions): Promise<CsiServer> {
  const instrument = options.instrument ?? (<T>(_name: string, impl: T) => impl);
  const server = new Server();
  server.addService(IdentityService, instrument("Identity", options.identity));
  if (options.controller !== undefined) {
    server.addService(ControllerService, instrument("Controller", options.controller));
  }
  if (options.groupController !== undefined) {
    server.addService(GroupControllerService, instrument("GroupController", options.groupController));
  }
  if (options.node !== undefined) server.addService(NodeService, instrument("Node", options.node));

  const { endpoint } = options;
  if (endpoint.kind === "unix") await prepareSocketPath(endpoint.path);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(grpcAddress(endpoint), ServerCredentials.createInsecure(), (error, bound) =>
      error === null
        ? resolve(bound)
        : reject(internal(`cannot listen on ${grpcAddress(endpoint)}: ${error.message}`)),
    );
  });
  const address = endpoint.kind === "unix" ? grpcAddress(endpoint) : `${endpoint.host}:${port}`;
  options.logger.info({ address }, "CSI server listening");

  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          options.logger.warn({ drainTimeoutMs }, "in-flight RPCs did not finish in time; cutting them");
          server.forceShutdown();
          resolve();
        }, drainTimeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (endpoint.kind === "unix") await unlink(endpoint.path).catch(() => undefined);
      options.logger.info({ address }, "CSI server stopped");
    })();
    return stopping;
  };
  const target: NetConnectOpts =
    endpoint.kind === "unix" ? { path: endpoint.path } : { host: endpoint.host, port };
  return { address, stop, checkAccepting: (timeoutMs = 1000) => connectOnce(target, address, timeoutMs) };
}

function connectOnce(target: NetConnectOpts, address: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`CSI endpoint ${address} did not accept a connection within ${timeoutMs} ms`));
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) =>
      reject(new Error(`CSI endpoint ${address} refuses connections: ${error.message}`)),
    );
  });
}
