import { type ClientHttp2Session, connect as connectHttp2, type IncomingHttpHeaders } from "node:http2";
import { connect as connectSocket } from "node:net";

/** A unary call failed: its gRPC status (or the transport's error) as the label. */
export class RawCallError extends Error {
  override readonly name = "RawCallError";
  constructor(readonly label: string) {
    super(`gRPC call failed: ${label}`);
  }
}

const STATUS_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

function statusOf(headers: IncomingHttpHeaders | undefined): string | undefined {
  const value = headers?.["grpc-status"];
  return typeof value === "string" ? value : undefined;
}

/**
 * A gRPC client for one unary method with a constant request, straight on node:http2 over a unix
 * socket: a few µs of client CPU per call where the grpc-js client spends tens. On a 2-core machine
 * the client shares the CPU with the server it measures, so a heavy client hides the server's
 * cost; this one leaves the server as the limit.
 */
export class RawUnaryCaller {
  private readonly session: ClientHttp2Session;
  private readonly frame: Buffer;

  constructor(
    socketPath: string,
    private readonly path: string,
    requestBytes: Uint8Array,
  ) {
    this.session = connectHttp2("http://localhost", { createConnection: () => connectSocket(socketPath) });
    this.session.on("error", () => undefined);
    // The gRPC message frame: uncompressed flag, 4-byte big-endian length, the message.
    this.frame = Buffer.alloc(5 + requestBytes.length);
    this.frame.writeUInt32BE(requestBytes.length, 1);
    this.frame.set(requestBytes, 5);
  }

  /** Resolves with the response's byte count on status 0; rejects with its status name otherwise. */
  call(): Promise<number> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request({
        ":method": "POST",
        ":path": this.path,
        "content-type": "application/grpc",
        te: "trailers",
      });
      let bytes = 0;
      let status: string | undefined;
      stream.on("response", (headers) => {
        status = statusOf(headers) ?? status;
      });
      stream.on("trailers", (trailers) => {
        status = statusOf(trailers) ?? status;
      });
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on("error", () => undefined);
      stream.on("close", () => {
        if (status === "0") resolve(bytes);
        else reject(new RawCallError(STATUS_NAMES[Number(status)] ?? `transport (${status ?? "no status"})`));
      });
      stream.end(this.frame);
    });
  }

  close(): void {
    this.session.close();
  }
}
