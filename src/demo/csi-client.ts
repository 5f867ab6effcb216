import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import * as csi from "../generated/csi.js";

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: Callback<Res>,
) => ClientUnaryCall;

/** Per-call options: a timeout (the gRPC deadline) and metadata. */
export interface RpcOptions {
  timeoutMs?: number;
}

/**
 * The promise form of a generated grpc-js client: every unary method takes a partial request
 * (missing fields get their protobuf defaults, exactly as on the wire) and resolves with the
 * response or rejects with the grpc-js ServiceError, whose `code` is the gRPC status.
 */
export type PromiseClient<C> = {
  [K in keyof C as C[K] extends UnaryMethod<never, unknown> ? K : never]: C[K] extends UnaryMethod<
    infer Req,
    infer Res
  >
    ? (request?: csi.DeepPartial<Req>, options?: RpcOptions) => Promise<Res>
    : never;
};

export interface CsiClient {
  readonly identity: PromiseClient<csi.IdentityClient>;
  readonly controller: PromiseClient<csi.ControllerClient>;
  readonly node: PromiseClient<csi.NodeClient>;
  readonly groupController: PromiseClient<csi.GroupControllerClient>;
  close(): void;
}

interface ServiceMethod {
  path: string;
}

interface RequestCodec {
  fromPartial(partial: unknown): unknown;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Connects to a CSI endpoint (`unix:///path/csi.sock` or `127.0.0.1:PORT`) the way the CSI
 * sidecars and kubelet do: plain gRPC, no TLS.
 */
export function createCsiClient(endpoint: string, defaultTimeoutMs = DEFAULT_TIMEOUT_MS): CsiClient {
  const address = endpoint.startsWith("tcp://") ? endpoint.slice("tcp://".length) : endpoint;
  const insecure = credentials.createInsecure();
  const identity = new csi.IdentityClient(address, insecure);
  const controller = new csi.ControllerClient(address, insecure);
  const node = new csi.NodeClient(address, insecure);
  const groupController = new csi.GroupControllerClient(address, insecure);
  return {
    identity: promisify(identity, csi.IdentityService, defaultTimeoutMs),
    controller: promisify(controller, csi.ControllerService, defaultTimeoutMs),
    node: promisify(node, csi.NodeService, defaultTimeoutMs),
    groupController: promisify(groupController, csi.GroupControllerService, defaultTimeoutMs),
    close() {
      identity.close();
      controller.close();
      node.close();
      groupController.close();
    },
  };
}

function promisify<C extends Client>(
  client: C,
  service: Record<string, ServiceMethod>,
  defaultTimeoutMs: number,
): PromiseClient<C> {
  const methods: Record<string, (request?: unknown, options?: RpcOptions) => Promise<unknown>> = {};
  const codecs = csi as unknown as Record<string, RequestCodec | undefined>;
  for (const [name, definition] of Object.entries(service)) {
    // Every CSI RPC `Foo` takes a `FooRequest`; its codec fills protobuf defaults for absent fields.
    const rpc = definition.path.slice(definition.path.lastIndexOf("/") + 1);
    const codec = codecs[`${rpc}Request`];
    if (codec === undefined) throw new Error(`no request type for CSI method ${definition.path}`);
    const method = (client as unknown as Record<string, UnaryMethod<unknown, unknown>>)[name];
    if (method === undefined) throw new Error(`client has no method ${name}`);
    methods[name] = (request = {}, options = {}) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + (options.timeoutMs ?? defaultTimeoutMs);
        method.call(client, codec.fromPartial(request), new Metadata(), { deadline }, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      });
  }
  return methods as unknown as PromiseClient<C>;
}

/** True when `error` is a gRPC status error (as opposed to a bug in the caller). */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number";
}
