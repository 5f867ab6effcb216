import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  /** The path below the API's base path, as the cloud's description names it. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  at: number;
}

/** Answers a request instead of the fake's state when it returns true (e.g. a scripted error). */
export type Interceptor = (request: Recorded, response: ServerResponse) => boolean;

/**
 * The HTTP side every fake cloud API shares: a server on 127.0.0.1, every request recorded before
 * it is answered, scripted interceptors first, and answers that can be lost on the way back. What
 * the cloud does with a request is the subclass's `route`.
 */
export abstract class FakeCloudApi {
  readonly requests: Recorded[] = [];
  interceptors: Interceptor[] = [];
  /** Handle the request, then drop the connection without an answer (a lost response). */
  dropAnswerOf: ((request: Recorded) => boolean) | undefined;
  /** Where the API lives under the host, e.g. `/v1`; recorded paths leave it out. */
  protected abstract readonly basePath: string;
  private readonly server = createServer((req, res) => this.handle(req, res));

  static async start<T extends FakeCloudApi>(this: new () => T): Promise<T> {
    const fake = new this();
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.basePath}`;
  }

  calls(method: string, pathPattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path)).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected abstract route(r: Recorded, res: ServerResponse): unknown;

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const text = Buffer.concat(chunks).toString("utf8");
      const recorded: Recorded = {
        method: req.method ?? "",
        path: url.pathname.startsWith(this.basePath)
          ? url.pathname.slice(this.basePath.length)
          : url.pathname,
        query: url.searchParams,
        body: text === "" ? undefined : JSON.parse(text),
        at: Date.now(),
      };
      this.requests.push(recorded);
      if (this.interceptors.some((intercept) => intercept(recorded, res))) return;
      if (this.dropAnswerOf?.(recorded)) {
        // The cloud still acts on the request; only its answer goes nowhere.
        this.route(recorded, {
          writeHead: () => undefined,
          end: () => undefined,
        } as unknown as ServerResponse);
        req.socket.destroy();
        return;
      }
      this.route(recorded, res);
    });
  }
}
