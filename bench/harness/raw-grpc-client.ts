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

/** The gRPC message frame: uncompressed flag, 4-byte big-endian length, the message. */
function framed(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

function connectSession(socketPath: string): ClientHttp2Session {
  const session = connectHttp2("http://localhost", { createConnection: () => connectSocket(socketPath) });
  session.on("error", () => undefined);
  return session;
}

/**
 * One unary exchange: sends `frame`, hands every data chunk to `onData`, and resolves on status 0
 * or rejects with the status name (or the transport's failure) when the stream closes.
 */
function exchange(
  session: ClientHttp2Session,
  path: string,
  frame: Buffer,
  onData: (chunk: Buffer) => void,
  timeoutMs?: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...(timeoutMs === undefined ? {} : { "grpc-timeout": `${Math.ceil(timeoutMs)}m` }),
    });
    let status: string | undefined;
    stream.on("response", (headers) => {
      status = statusOf(headers) ?? status;
    });
    stream.on("trailers", (trailers) => {
      status = statusOf(trailers) ?? status;
    });
    stream.on("data", onData);
    stream.on("error", () => undefined);
    stream.on("close", () => {
      if (status === "0") resolve();
      else reject(new RawCallError(STATUS_NAMES[Number(status)] ?? `transport (${status ?? "no status"})`));
    });
    stream.end(frame);
  });
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
    this.session = connectSession(socketPath);
    this.frame = framed(requestBytes);
  }

  /** Resolves with the response's byte count on status 0; rejects with its status name otherwise. */
  async call(): Promise<number> {
    let bytes = 0;
    await exchange(this.session, this.path, this.frame, (chunk) => {
      bytes += chunk.length;
    });
    return bytes;
  }

  close(): void {
    this.session.close();
  }
}

/** A unary method as the generated service definitions describe it. */
export interface UnaryMethod<Request, Response> {
  readonly path: string;
  requestSerialize(value: Request): Buffer;
  responseDeserialize(value: Buffer): Response;
}

/**
 * Any unary CSI call on the same light transport, encoded and decoded with the generated codec: a
 * stand-in for the sidecars' Go client, whose CPU is not the driver's and, in a cluster, not on
 * the driver's cores.
 */
export class RawGrpcChannel {
  private readonly session: ClientHttp2Session;

  constructor(socketPath: string) {
    this.session = connectSession(socketPath);
  }

  async unary<Request, Response>(
    method: UnaryMethod<Request, Response>,
    request: Request,
    timeoutMs: number,
  ): Promise<Response> {
    const chunks: Buffer[] = [];
    await exchange(
      this.session,
      method.path,
      framed(method.requestSerialize(request)),
      (chunk) => chunks.push(chunk),
      timeoutMs,
    );
    const body = Buffer.concat(chunks);
    if (body.length < 5 || body[0] !== 0) {
      throw new RawCallError(
        `transport (a response of ${body.length} bytes is not one uncompressed message)`,
      );
    }
    return method.responseDeserialize(body.subarray(5, 5 + body.readUInt32BE(1)));
  }

  close(): void {
    this.session.close();
  }
}
