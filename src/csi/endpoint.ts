import { parseListenAddress } from "../observability/listen-address.js";
import { invalidArgument } from "../shared/errors.js";

export type Endpoint = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

/**
 * Parses `--endpoint`: `unix:///abs/path.sock` (what kubelet and the sidecars use) or, for
 * development, `tcp://host:port`. A bare absolute path is taken as a unix socket, as several
 * sidecars accept.
 */
export function parseEndpoint(value: string): Endpoint {
  if (value.startsWith("unix://")) {
    const path = value.slice("unix://".length);
    if (!path.startsWith("/")) {
      throw invalidArgument(`--endpoint: "${value}" needs an absolute socket path (unix:///path/csi.sock)`);
    }
    return { kind: "unix", path };
  }
  if (value.startsWith("/")) return { kind: "unix", path: value };
  if (value.startsWith("tcp://")) {
    const { host, port } = parseListenAddress(value.slice("tcp://".length), "--endpoint");
    return { kind: "tcp", host, port };
  }
  throw invalidArgument(`--endpoint: "${value}" is not unix:///path or tcp://host:port`);
}

/** The address grpc-js binds and clients dial. */
export function grpcAddress(endpoint: Endpoint): string {
  return endpoint.kind === "unix" ? `unix://${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
}
